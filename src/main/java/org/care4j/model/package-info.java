/**
 * The networks: the frozen Vision Transformer backbone, the BR-MoE module of every block (experts,
 * shared expert, per-task routers and class perceptrons, bi-level routing), the cosine classifier, and
 * the baselines' single adapter per block ({@link org.care4j.model.AdaptFormer}).
 * Parameters are plain NDArrays owned by the model's NDManager; gradients come from DJL's
 * GradientCollector.
 */
package org.care4j.model;
