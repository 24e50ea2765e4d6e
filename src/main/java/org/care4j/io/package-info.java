/**
 * Readers and writers of weight and array files: safetensors (Hugging Face / timm) and NumPy .npy/.npz.
 * Every reader validates its header against the file before it touches data, and names the file and
 * the tensor in each error.
 */
package org.care4j.io;
