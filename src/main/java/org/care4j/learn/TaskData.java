package org.care4j.learn;

import org.care4j.data.Batch;

/**
 * The training material of one task as a learner sees it. Labels in batches are class-order positions;
 * the task's classes are positions {@code [firstClass, firstClass + classes)}.
 */
public interface TaskData {

    /** Task index, from 0. */
    int task();

    /** Position of the task's first class. */
    int firstClass();

    /** Number of classes in the task. */
    int classes();

    /** Training images of the task. */
    long trainImages();

    /** Training images with the training transform, shuffled repeatably by {@code seed}. */
    Iterable<Batch> trainBatches(long seed);

    /** Training images with the test transform, in dataset order (for class statistics and prototypes). */
    Iterable<Batch> featureBatches();
}
