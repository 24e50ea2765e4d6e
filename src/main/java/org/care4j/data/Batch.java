package org.care4j.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;

/**
 * One batch as the loader produced it, on the Java heap: images {@code [B, 3, S, S]} float32
 * (transformed, CHW per image), labels {@code [B]} int64 (positions in the class order, or whatever
 * the loader's label mapping gives), and the dataset indices the images came from. Holds no native
 * memory; {@link #images} and {@link #labels(NDManager)} copy into arrays owned by the given
 * manager.
 */
public final class Batch {

    private final int size;
    private final int imageSize;
    private final float[] pixels;
    private final long[] labels;
    private final int[] indices;

    /**
     * A batch of already transformed images, e.g. from an application's own pipeline.
     *
     * @param pixels {@code size * 3 * imageSize * imageSize} values, CHW per image
     */
    public Batch(int size, int imageSize, float[] pixels, long[] labels, int[] indices) {
        if (pixels.length != (long) size * 3 * imageSize * imageSize || labels.length != size
                || indices.length != size) {
            throw new IllegalArgumentException("a batch of " + size + " images of side " + imageSize + " needs "
                    + (long) size * 3 * imageSize * imageSize + " pixels and " + size + " labels and indices, got "
                    + pixels.length + ", " + labels.length + " and " + indices.length);
        }
        this.size = size;
        this.imageSize = imageSize;
        this.pixels = pixels;
        this.labels = labels;
        this.indices = indices;
    }

    /** Number of images B. */
    public int size() {
        return size;
    }

    /** Side S of each image. */
    public int imageSize() {
        return imageSize;
    }

    /** Pixels, {@code [B, 3, S, S]} flattened; exactly {@code B * 3 * S * S} values. */
    public float[] pixels() {
        return pixels;
    }

    /** Labels, one per image. */
    public long[] labels() {
        return labels;
    }

    /** Dataset indices of the images, in batch order. */
    public int[] indices() {
        return indices;
    }

    /** The images as a float32 NDArray {@code [B, 3, S, S]} owned by {@code manager}. */
    public NDArray images(NDManager manager) {
        return manager.create(
                FloatBuffer.wrap(pixels, 0, size * 3 * imageSize * imageSize),
                new Shape(size, 3, imageSize, imageSize));
    }

    /** The labels as an int64 NDArray {@code [B]} owned by {@code manager}. */
    public NDArray labels(NDManager manager) {
        return manager.create(labels);
    }
}
