/**
 * Process-wide setup of the DJL PyTorch engine: offline mode, tracking opt-out and thread counts.
 * Every entry point calls {@link org.care4j.runtime.DjlRuntime#configure} before any DJL class loads.
 */
package org.care4j.runtime;
