package org.care4j.data;

import java.util.SplittableRandom;

/**
 * Turns a decoded image into the network's input: a float32 tensor {@code [3, S, S]} in CHW order
 * ({@code out[c * S * S + y * S + x]}), S = {@link #outputSize()}.
 *
 * <p>All randomness comes from the given generator, so the same image and generator state give the
 * same tensor. Implementations are stateless and safe to share between threads.
 */
public interface ImageTransform {

    /** Transforms one image; the result has {@code 3 * S * S} values. */
    float[] apply(RgbImage image, SplittableRandom rng);

    /** Side S of the square output. */
    int outputSize();

    /**
     * Writes the transformed image into {@code out} from {@code offset}, e.g. into a batch buffer.
     */
    default void applyInto(RgbImage image, SplittableRandom rng, float[] out, int offset) {
        float[] t = apply(image, rng);
        System.arraycopy(t, 0, out, offset, t.length);
    }
}
