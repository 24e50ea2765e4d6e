package org.care4j.runtime;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Index and mask tensors made from Java arrays, copied into memory that PyTorch owns.
 *
 * <p>{@code NDManager.create(long[])} and its siblings wrap a Java direct buffer without copying it, and the
 * buffer lives only as long as the NDArray handle. Autograd keeps some of these tensors for the backward
 * pass (the index of a gather, the right operand of a product), so a handle closed before backward (for
 * instance by a per-block scope) would leave autograd reading freed memory. A copy here has no such tie.
 */
public final class HostArrays {

    private HostArrays() {}

    /** An int64 tensor of {@code values} with {@code shape}. */
    public static NDArray of(NDManager manager, long[] values, Shape shape) {
        try (NDArray borrowed = manager.create(values, shape)) {
            return borrowed.duplicate();
        }
    }

    /** A float32 tensor of {@code values} with {@code shape}. */
    public static NDArray of(NDManager manager, float[] values, Shape shape) {
        try (NDArray borrowed = manager.create(values, shape)) {
            return borrowed.duplicate();
        }
    }
}
