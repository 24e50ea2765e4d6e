package org.care4j.data;

import java.util.List;

/**
 * One split (train or test) of one image source: a fixed, indexed list of images with their
 * original class index ({@code 0..numClasses-1}, in sorted-folder or official order, before any
 * {@link ClassOrder}).
 *
 * <p>Implementations are safe for concurrent {@link #image} calls from loader threads. {@link
 * #image} throws {@link BadImageException} for a file that cannot be decoded.
 */
public interface ImageDataset {

    /** Number of images. */
    int size();

    /** Original class index of image {@code i}. */
    int label(int i);

    /** Number of classes of the source (also those with no image in this split). */
    int numClasses();

    /** Class names, indexed by original class. */
    List<String> classNames();

    /** Decodes image {@code i}. */
    RgbImage image(int i);

    /** The file or record image {@code i} comes from, for messages. */
    String describe(int i);
}
