package org.care4j.io;

/**
 * Element type of a stored tensor, named as in a safetensors header ({@code "F32"}, {@code "BF16"}, ...).
 *
 * <p>NumPy descriptors map onto the same constants: {@code '<f4'} is {@link #F32}, {@code '|b1'} is
 * {@link #BOOL}, {@code '<u2'} is {@link #U16}. Every type is stored little- or big-endian with
 * {@link #bytes()} bytes per element.
 *
 * <p>Conversion rule shared by all readers in this package: any type may be read as {@code float} or
 * {@code double} (integers are rounded to the nearest representable value, booleans become 0 or 1);
 * integer and boolean types may be read as {@code long}; a floating-point type is never read as
 * {@code long}, because that would silently drop its fraction.
 */
public enum DType {
    /** IEEE 754 binary64. */
    F64(8),
    /** IEEE 754 binary32. */
    F32(4),
    /** IEEE 754 binary16 (half precision): 1 sign, 5 exponent, 10 mantissa bits. */
    F16(2),
    /** bfloat16: the upper 16 bits of a binary32 (1 sign, 8 exponent, 7 mantissa bits). */
    BF16(2),
    /** Signed 64-bit integer. */
    I64(8),
    /** Signed 32-bit integer. */
    I32(4),
    /** Signed 16-bit integer. */
    I16(2),
    /** Signed 8-bit integer. */
    I8(1),
    /** Unsigned 8-bit integer. */
    U8(1),
    /** Boolean stored as one byte; any nonzero byte is true. */
    BOOL(1),
    /** Unsigned 16-bit integer. */
    U16(2),
    /** Unsigned 32-bit integer. */
    U32(4);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** Whether this is one of F64, F32, F16 or BF16. */
    public boolean isFloatingPoint() {
        return this == F64 || this == F32 || this == F16 || this == BF16;
    }

    /**
     * The type a safetensors header names {@code dtype}, or {@code null} when this package does not know it
     * (for example {@code "F8_E4M3"} or {@code "U64"}).
     */
    static DType fromSafetensorsName(String dtype) {
        for (DType type : values()) {
            if (type.name().equals(dtype)) {
                return type;
            }
        }
        return null;
    }
}
