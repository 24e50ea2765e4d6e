package org.care4j.api;

/**
 * One class of a prediction and the model's score for it.
 *
 * @param className the class name as it was learned
 * @param score the model's probability for the class, in [0, 1]; the scores of all classes of one image sum to 1
 */
public record ClassScore(String className, double score) {}
