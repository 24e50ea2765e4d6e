package org.care4j.io;

import java.util.Arrays;

/**
 * Where one tensor lives in a safetensors file: its element type, its shape (C order, row-major) and the
 * half-open byte range {@code [begin, end)} it occupies, counted from the start of the data section
 * (the first byte after the JSON header), exactly as the header's {@code data_offsets} says.
 *
 * <p>A scalar has the empty shape {@code []} and one element. The shape array is copied in and out, so an
 * instance is immutable.
 *
 * @param name the tensor's key in the header
 * @param dtype the element type
 * @param shape the extent of each dimension, outermost first
 * @param begin first byte of the tensor in the data section
 * @param end one past the last byte of the tensor in the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    public TensorInfo {
        shape = shape.clone();
    }

    /** The extent of each dimension, outermost first (a copy). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /**
     * Number of elements, the product of the shape (1 for a scalar).
     *
     * @throws ArithmeticException if the product overflows a long, which a validated header never allows
     */
    public long elements() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Length of the tensor's data in bytes, {@code end - begin}. */
    public long byteLength() {
        return end - begin;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorInfo that
                && name.equals(that.name)
                && dtype == that.dtype
                && Arrays.equals(shape, that.shape)
                && begin == that.begin
                && end == that.end;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * name.hashCode() + dtype.hashCode()) + Arrays.hashCode(shape)
                + Long.hashCode(begin) + 7 * Long.hashCode(end);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
