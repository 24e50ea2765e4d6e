package org.care4j.learn;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * A continual-learning method: learns tasks one after another and scores images over every class seen so far.
 * All methods share {@link TrainingLoop}, the data pipeline, evaluation and the results format.
 */
public interface Learner extends AutoCloseable {

    /** The method's name in configs and results ("care", "simplecil", ...). */
    String method();

    /** Learns one task; the task's classes follow all classes learned before. */
    void learnTask(TaskData task);

    /** Scores a batch of test-transformed images {@code [B, 3, S, S]} over all seen classes. */
    Prediction predict(NDArray images);

    /** Parameters this method has added to the frozen backbone so far (trainable or stored per task). */
    long parametersAdded();

    /** Every learned tensor by name, for checkpoints. */
    Map<String, NDArray> state();

    @Override
    void close();
}
