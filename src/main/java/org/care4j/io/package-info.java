/**
 * Readers and writers of weight and array files: safetensors (Hugging Face / timm) and NumPy .npy/.npz.
 * Every reader validates its header against the file before it touches data, and names the file and
 * the tensor in each error.
 *
 * <p>{@link org.care4j.io.SafeTensors} and {@link org.care4j.io.SafeTensorsWriter} hold model weights and golden
 * tensors; {@link org.care4j.io.NpyArray} and {@link org.care4j.io.Npz} read datasets shipped by NumPy
 * (Omniglot). A broken file fails with {@link org.care4j.io.MalformedFileException}, an {@code IOException}
 * whose message starts with the file; asking for a tensor or entry that is not there is an
 * {@code IllegalArgumentException}. Element types and the conversions allowed between them are in
 * {@link org.care4j.io.DType}.
 */
package org.care4j.io;
