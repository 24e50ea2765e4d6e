package org.care4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

/**
 * The router of task t: {@code Linear(d, t + 1)}, one logit per expert that existed when task t started.
 * Shapes: {@code weight: [t + 1, d]}, {@code bias: [t + 1]}.
 */
public record Router(NDArray weight, NDArray bias) {

    public int width() {
        return (int) weight.getShape().get(0);
    }

    /** {@code u: [B, d] -> [B, t + 1]}. */
    public NDArray forward(NDArray u) {
        return Linear.linear(u, weight, bias).singletonOrThrow();
    }
}
