package org.care4j.io;

/**
 * Exact widening of the two 16-bit floating-point formats to binary32.
 *
 * <p>Both widen without rounding: every binary16 value (subnormals included) and every bfloat16 value is a
 * binary32 value. Infinities keep their sign and NaNs keep sign and payload.
 */
final class HalfPrecision {

    private HalfPrecision() {}

    /** Widens IEEE 754 binary16 bits (the low 16 bits of {@code bits}) to a float. */
    static float binary16ToFloat(int bits) {
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mantissa << 13));
        }
        if (exponent == 0) {
            // Zero or subnormal: mantissa * 2^-24, exact in binary32, which has 24 bits of precision here.
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        // Rebias the exponent from 15 to 127; the 10 mantissa bits become the top of binary32's 23.
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** Widens bfloat16 bits (the low 16 bits of {@code bits}) to a float. */
    static float bfloat16ToFloat(int bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
