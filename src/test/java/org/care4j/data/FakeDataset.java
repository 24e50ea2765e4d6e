package org.care4j.data;

import java.util.ArrayList;
import java.util.List;

/**
 * An in-memory dataset: image i is a w x h image filled with the value i mod 256 (all channels).
 */
class FakeDataset implements ImageDataset {

    private final int[] labels;
    private final int classes;
    private final int width;
    private final int height;

    FakeDataset(int classes, int width, int height, int... labels) {
        this.classes = classes;
        this.labels = labels;
        this.width = width;
        this.height = height;
    }

    /** {@code perClass} images of every class, class-major. */
    static FakeDataset balanced(int classes, int perClass, int size) {
        int[] labels = new int[classes * perClass];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i / perClass;
        }
        return new FakeDataset(classes, size, size, labels);
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int label(int i) {
        return labels[i];
    }

    @Override
    public int numClasses() {
        return classes;
    }

    @Override
    public List<String> classNames() {
        List<String> names = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            names.add("c" + c);
        }
        return names;
    }

    @Override
    public RgbImage image(int i) {
        byte[] rgb = new byte[width * height * 3];
        java.util.Arrays.fill(rgb, (byte) i);
        return new RgbImage(width, height, rgb);
    }

    @Override
    public String describe(int i) {
        return "fake image " + i;
    }
}
