package org.care4j.model;

import ai.djl.ndarray.NDArray;
import org.care4j.runtime.Scalar;

/** Inverted dropout: zeroes each unit with probability p and scales survivors by 1 / (1 - p). */
final class Dropout {

    private Dropout() {}

    static NDArray apply(NDArray x, float p) {
        if (p <= 0) {
            return x;
        }
        // Uniform draws come from the engine's generator, which the learner seeds once per run.
        NDArray keep = x.getManager().randomUniform(0, 1, x.getShape(), x.getDataType()).gte(p)
                .toType(x.getDataType(), false);
        return Scalar.over(x.mul(keep), 1 - p);
    }
}
