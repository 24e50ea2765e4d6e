package org.care4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/** Seeded parameter initialisers with PyTorch's formulas; every draw comes from the caller's generator. */
final class Init {

    private Init() {}

    /** {@code kaiming_uniform_(a = sqrt 5)} of a Linear weight {@code [out, in]}: U(-1/sqrt(in), 1/sqrt(in)). */
    static NDArray kaimingUniform(NDManager manager, Random rng, DataType type, int out, int in) {
        return uniform(manager, rng, type, 1 / Math.sqrt(in), out, in);
    }

    /** U(-bound, bound). */
    static NDArray uniform(NDManager manager, Random rng, DataType type, double bound, long... shape) {
        double[] v = new double[(int) new Shape(shape).size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (rng.nextDouble() * 2 - 1) * bound;
        }
        return typed(manager, v, type, shape);
    }

    /** timm {@code trunc_normal_(std)}: normal draws truncated to [-2, 2] (absolute), redrawn when outside. */
    static NDArray truncNormal(NDManager manager, Random rng, DataType type, double std, long... shape) {
        double[] v = new double[(int) new Shape(shape).size()];
        for (int i = 0; i < v.length; i++) {
            double x;
            do {
                x = rng.nextGaussian() * std;
            } while (x < -2 || x > 2);
            v[i] = x;
        }
        return typed(manager, v, type, shape);
    }

    /**
     * The draws as an array of {@code type}. The float64 array they arrive in is closed after the conversion:
     * left open, it stayed on the model's manager for the whole run, one per new parameter of every task.
     */
    private static NDArray typed(NDManager manager, double[] v, DataType type, long... shape) {
        NDArray drawn = manager.create(v, new Shape(shape));
        if (type == DataType.FLOAT64) {
            return drawn;
        }
        try (drawn) {
            return drawn.toType(type, false);
        }
    }
}
