package org.care4j.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.care4j.runtime.CareException;

/**
 * One split of an ImageFolder tree, {@code split/<class>/.../<image>}, read as torchvision's {@code
 * datasets.ImageFolder} does (the layout LAMDA-PILOT uses for ImageNet-R, ImageNet-A, ObjectNet,
 * OmniBenchmark and VTAB): classes are the sub-folders in sorted name order, images are found
 * recursively in each class folder in sorted path order, and files without an image extension are
 * ignored.
 *
 * <p>Images are decoded on demand by {@link ImageDecoder} (JPEG, PNG, BMP). The scan fails on an
 * empty class folder, and on a file with an image extension that torchvision reads but this decoder
 * does not (.ppm, .pgm, .tif, .tiff, .webp), rather than silently giving different class sizes than
 * the reference.
 */
public final class ImageFolderDataset implements ImageDataset {

    /** Extensions torchvision's ImageFolder accepts and this reader cannot decode. */
    private static final List<String> UNSUPPORTED = List.of("ppm", "pgm", "tif", "tiff", "webp");

    /** Python's {@code sorted()} order for strings: by code point, not by UTF-16 unit. */
    static final Comparator<String> PYTHON_ORDER =
            (a, b) -> {
                int i = 0;
                int j = 0;
                while (i < a.length() && j < b.length()) {
                    int ca = a.codePointAt(i);
                    int cb = b.codePointAt(j);
                    if (ca != cb) {
                        return Integer.compare(ca, cb);
                    }
                    i += Character.charCount(ca);
                    j += Character.charCount(cb);
                }
                return Integer.compare(a.length() - i, b.length() - j);
            };

    private final Path root;
    private final List<String> classes;
    private final Path[] files;
    private final int[] labels;

    private ImageFolderDataset(Path root, List<String> classes, Path[] files, int[] labels) {
        this.root = root;
        this.classes = classes;
        this.files = files;
        this.labels = labels;
    }

    /**
     * Scans a split folder.
     *
     * @throws CareException if the folder is missing, holds no class folder, or a class folder
     *     holds no image
     */
    public static ImageFolderDataset open(Path split) {
        if (!Files.isDirectory(split)) {
            throw new CareException(
                    split + ": ImageFolder split not found (expected <class>/<image> folders)");
        }
        List<String> classes = new ArrayList<>();
        try (Stream<Path> entries = Files.list(split)) {
            entries.filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString())
                    .forEach(classes::add);
        } catch (IOException e) {
            throw new CareException(split + ": cannot list class folders: " + e.getMessage(), e);
        }
        if (classes.isEmpty()) {
            throw new CareException(
                    split + ": no class folders (expected <class>/<image> folders)");
        }
        classes.sort(PYTHON_ORDER);
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < classes.size(); c++) {
            Path dir = split.resolve(classes.get(c));
            List<Path> images = imagesIn(dir);
            if (images.isEmpty()) {
                throw new CareException(
                        dir + ": empty class folder (no .jpg, .jpeg, .png or .bmp image)");
            }
            for (Path image : images) {
                files.add(image);
                labels.add(c);
            }
        }
        return new ImageFolderDataset(
                split,
                List.copyOf(classes),
                files.toArray(Path[]::new),
                labels.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Image files under a class folder, grouped by folder in sorted path order, names sorted within
     * each.
     */
    private static List<Path> imagesIn(Path classDir) {
        Map<String, List<String>> byFolder = new TreeMap<>(PYTHON_ORDER);
        try (Stream<Path> walk = Files.walk(classDir, FileVisitOption.FOLLOW_LINKS)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (!Files.isRegularFile(p)) {
                    continue;
                }
                String name = p.getFileName().toString();
                String ext = extension(name);
                if (UNSUPPORTED.contains(ext)) {
                    throw new CareException(
                            p
                                    + ": unsupported image format ."
                                    + ext
                                    + " (convert it to JPEG, PNG or BMP)");
                }
                if (ImageDecoder.EXTENSIONS.contains(ext)) {
                    byFolder.computeIfAbsent(p.getParent().toString(), k -> new ArrayList<>())
                            .add(name);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new CareException(classDir + ": cannot scan class folder: " + e.getMessage(), e);
        }
        List<Path> out = new ArrayList<>();
        for (Map.Entry<String, List<String>> folder : byFolder.entrySet()) {
            folder.getValue().sort(PYTHON_ORDER);
            for (String name : folder.getValue()) {
                out.add(Path.of(folder.getKey(), name));
            }
        }
        return out;
    }

    private static String extension(String name) {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /** The split folder. */
    public Path root() {
        return root;
    }

    /** The file of image {@code i}. */
    public Path file(int i) {
        return files[i];
    }

    @Override
    public int size() {
        return files.length;
    }

    @Override
    public int label(int i) {
        return labels[i];
    }

    @Override
    public int numClasses() {
        return classes.size();
    }

    @Override
    public List<String> classNames() {
        return classes;
    }

    @Override
    public RgbImage image(int i) {
        return ImageDecoder.decode(files[i]);
    }

    @Override
    public String describe(int i) {
        return files[i].toString();
    }

    @Override
    public String toString() {
        return "ImageFolder "
                + root
                + " ("
                + classes.size()
                + " classes, "
                + files.length
                + " images)";
    }
}
