/**
 * The networks: the frozen Vision Transformer backbone, the BR-MoE module of every block (experts,
 * shared expert, per-task routers and class perceptrons, bi-level routing) and the cosine classifier.
 * Parameters are plain NDArrays owned by the model's NDManager; gradients come from DJL's
 * GradientCollector.
 */
package org.care4j.model;
