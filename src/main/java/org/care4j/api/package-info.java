/**
 * A CaRE model that an application keeps for its whole life and teaches new classes as they arrive, outside any
 * benchmark: {@link org.care4j.api.CareModel} (create, learn a task, predict, save, load), the tasks it is given
 * ({@link org.care4j.api.NewTask}), and its saved folder.
 *
 * <p>A saved model is a folder of two files: {@code model.safetensors}, the learned tensors under the reference
 * names plus the class statistics, and {@code manifest.json} ({@link org.care4j.api.ModelManifest}): format
 * version, care4j version, dates, the backbone's identity (file, SHA-256, shape), class names in label order, the
 * tasks with their data sources, the config, the seed, and the SHA-256 of the tensors. Saving replaces the folder
 * atomically; loading verifies both checksums. The {@code care learn}, {@code care predict} and
 * {@code care inspect} commands are thin layers over this package.
 */
package org.care4j.api;
