package org.care4j.runtime;

import ai.djl.ndarray.NDArray;

/**
 * Arithmetic with a constant that stays correct under autograd on DJL's PyTorch engine.
 *
 * <p>DJL's {@code mul(Number)}, {@code div(Number)} and {@code maximum(Number)} wrap the constant in a tensor
 * that borrows the memory of a Java direct buffer, and close it right after the operation. Autograd keeps that
 * tensor for the backward pass, so once the garbage collector frees the buffer the backward pass reads freed
 * memory: gradients turn to garbage or NaN at random, depending on when a collection happens. Here the
 * constant is copied into memory that PyTorch owns, so autograd's reference keeps it valid.
 */
public final class Scalar {

    private Scalar() {}

    /** {@code x * v}. */
    public static NDArray times(NDArray x, double v) {
        try (NDArray c = constant(x, v)) {
            return x.mul(c);
        }
    }

    /** {@code x / v}. */
    public static NDArray over(NDArray x, double v) {
        try (NDArray c = constant(x, v)) {
            return x.div(c);
        }
    }

    /** {@code max(x, v)} element-wise. */
    public static NDArray atLeast(NDArray x, double v) {
        try (NDArray c = constant(x, v)) {
            return x.maximum(c);
        }
    }

    /** A 0-d tensor of value {@code v} in {@code like}'s type, in PyTorch-owned memory. */
    public static NDArray constant(NDArray like, double v) {
        // toType returns the same borrowed tensor when the type already matches; duplicate always copies.
        try (NDArray borrowed = like.getManager().create(v);
                NDArray typed = borrowed.toType(like.getDataType(), false)) {
            return typed.duplicate();
        }
    }
}
