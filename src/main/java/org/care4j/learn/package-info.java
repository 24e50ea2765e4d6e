/**
 * Learning methods and the one training loop they share: CaRE (BR-MoE) and the baselines, losses,
 * optimiser, learning-rate schedules, class statistics and classifier alignment.
 */
package org.care4j.learn;
