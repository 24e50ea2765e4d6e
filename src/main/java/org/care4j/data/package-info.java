/**
 * Continual-learning data: datasets (CIFAR-100, ImageFolder, NumPy arrays, Omniglot), NumPy-exact class
 * orders, task splits, seeded image transforms and the batch loader that feeds the learner.
 *
 * <p>Entry points: {@link org.care4j.data.Datasets#open} gives a {@link org.care4j.data.ContinualBenchmark}
 * (dataset pair + {@link org.care4j.data.ClassOrder} + {@link org.care4j.data.TaskSplit}) by the reference's
 * dataset name; {@link org.care4j.data.Transforms} and {@link org.care4j.data.BatchLoader} turn its images
 * into batches; {@link org.care4j.data.DataFetch} brings the official archives ({@code care data fetch}).
 */
package org.care4j.data;
