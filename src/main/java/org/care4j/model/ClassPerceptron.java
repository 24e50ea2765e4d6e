package org.care4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

/**
 * The class perceptron of task t: {@code LN(d) -> Linear(d, |G_t|)} on the expert's class-token output.
 * Shapes: {@code lnW, lnB: [d]} (eps 1e-5), {@code weight: [|G_t|, d]}, {@code bias: [|G_t|]}. Its softmax
 * entropy ranks the tasks for router selection, and its logits feed the auxiliary loss.
 */
public record ClassPerceptron(NDArray lnW, NDArray lnB, NDArray weight, NDArray bias) {

    public int classes() {
        return (int) weight.getShape().get(0);
    }

    /** {@code u: [B, d] -> [B, |G_t|]}. */
    public NDArray forward(NDArray u) {
        NDArray h = VisionTransformer.layerNorm(u, lnW, lnB, Expert.EPS);
        return Linear.linear(h, weight, bias).singletonOrThrow();
    }
}
