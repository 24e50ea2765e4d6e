/**
 * Evaluation after each task: top-1/top-5 accuracy over seen classes, the accuracy matrix by task group,
 * average incremental accuracy, last accuracy, forgetting, and routing diagnostics (R@M, E@K).
 */
package org.care4j.eval;
