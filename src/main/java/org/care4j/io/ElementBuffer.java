package org.care4j.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * {@code count} elements of one {@link DType}, stored back to back in a byte buffer of a given byte order,
 * read out as Java arrays following the conversion rule of {@link DType}.
 *
 * <p>Callers check that the requested conversion is allowed and that the data fits one Java array; this
 * class only converts.
 */
final class ElementBuffer {

    private final ByteBuffer bytes;
    private final DType dtype;
    private final int count;

    /**
     * @param source holds the elements from its index 0; its position and order are ignored
     * @param order the byte order the elements were stored in
     */
    ElementBuffer(ByteBuffer source, ByteOrder order, DType dtype, int count) {
        this.bytes = source.slice(0, Math.multiplyExact(count, dtype.bytes())).order(order);
        this.dtype = dtype;
        this.count = count;
    }

    float[] toFloats() {
        float[] out = new float[count];
        switch (dtype) {
            case F32 -> bytes.asFloatBuffer().get(out);
            case F64 -> {
                DoubleBuffer in = bytes.asDoubleBuffer();
                for (int i = 0; i < count; i++) {
                    out[i] = (float) in.get(i);
                }
            }
            case F16 -> {
                ShortBuffer in = bytes.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    out[i] = HalfPrecision.binary16ToFloat(in.get(i));
                }
            }
            case BF16 -> {
                ShortBuffer in = bytes.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    out[i] = HalfPrecision.bfloat16ToFloat(in.get(i));
                }
            }
            default -> {
                // Straight from long, not through double, so that large integers round only once.
                for (int i = 0; i < count; i++) {
                    out[i] = longAt(i);
                }
            }
        }
        return out;
    }

    double[] toDoubles() {
        double[] out = new double[count];
        switch (dtype) {
            case F64 -> bytes.asDoubleBuffer().get(out);
            case F32 -> {
                FloatBuffer in = bytes.asFloatBuffer();
                for (int i = 0; i < count; i++) {
                    out[i] = in.get(i);
                }
            }
            case F16 -> {
                ShortBuffer in = bytes.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    out[i] = HalfPrecision.binary16ToFloat(in.get(i));
                }
            }
            case BF16 -> {
                ShortBuffer in = bytes.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    out[i] = HalfPrecision.bfloat16ToFloat(in.get(i));
                }
            }
            default -> {
                for (int i = 0; i < count; i++) {
                    out[i] = longAt(i);
                }
            }
        }
        return out;
    }

    /** Integer and boolean types only. */
    long[] toLongs() {
        if (dtype.isFloatingPoint()) {
            throw new IllegalStateException(dtype + " elements cannot be read as long");
        }
        long[] out = new long[count];
        if (dtype == DType.I64) {
            bytes.asLongBuffer().get(out);
        } else {
            for (int i = 0; i < count; i++) {
                out[i] = longAt(i);
            }
        }
        return out;
    }

    /** BOOL only. */
    boolean[] toBooleans() {
        if (dtype != DType.BOOL) {
            throw new IllegalStateException(dtype + " elements cannot be read as boolean");
        }
        boolean[] out = new boolean[count];
        for (int i = 0; i < count; i++) {
            out[i] = bytes.get(i) != 0;
        }
        return out;
    }

    private long longAt(int i) {
        return switch (dtype) {
            case I64 -> bytes.getLong(8 * i);
            case I32 -> bytes.getInt(4 * i);
            case I16 -> bytes.getShort(2 * i);
            case I8 -> bytes.get(i);
            case U8 -> bytes.get(i) & 0xFFL;
            case U16 -> bytes.getShort(2 * i) & 0xFFFFL;
            case U32 -> bytes.getInt(4 * i) & 0xFFFF_FFFFL;
            case BOOL -> bytes.get(i) != 0 ? 1 : 0;
            default -> throw new IllegalStateException(dtype + " is not an integer type");
        };
    }
}
