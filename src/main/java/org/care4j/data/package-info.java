/**
 * Continual-learning data: datasets (CIFAR-100, ImageFolder, NumPy arrays, Omniglot), NumPy-exact class
 * orders, task splits, seeded image transforms and the batch loader that feeds the learner.
 */
package org.care4j.data;
