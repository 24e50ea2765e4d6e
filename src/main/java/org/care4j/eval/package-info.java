/**
 * Evaluation after each task: top-1/top-5 accuracy over seen classes, the accuracy matrix by task group,
 * average incremental accuracy, last accuracy, forgetting, and routing diagnostics (R@M, E@K); and the run's
 * {@code results.json}, written task by task and read back for resuming and reporting.
 */
package org.care4j.eval;
