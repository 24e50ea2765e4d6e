package org.care4j.api;

import java.nio.file.Path;
import java.util.List;
import org.care4j.data.ImageDataset;
import org.care4j.data.ImageDecoder;
import org.care4j.data.RgbImage;

/** Image files with a label each, decoded on demand; labels are the model's class indices. */
final class FileImages implements ImageDataset {

    private final List<Path> files;
    private final int[] labels;
    private final List<String> classNames;

    /**
     * @param labels one class index per file, into {@code classNames}
     */
    FileImages(List<Path> files, int[] labels, List<String> classNames) {
        if (files.size() != labels.length) {
            throw new IllegalArgumentException(files.size() + " files but " + labels.length + " labels");
        }
        this.files = List.copyOf(files);
        this.labels = labels.clone();
        this.classNames = List.copyOf(classNames);
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public int label(int i) {
        return labels[i];
    }

    @Override
    public int numClasses() {
        return classNames.size();
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public RgbImage image(int i) {
        return ImageDecoder.decode(files.get(i));
    }

    @Override
    public String describe(int i) {
        return files.get(i).toString();
    }
}
