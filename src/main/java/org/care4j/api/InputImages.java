package org.care4j.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.care4j.data.ImageDecoder;
import org.care4j.data.RgbImage;
import org.care4j.runtime.CareException;

/**
 * Finds and checks the images a user hands to a model, before any of them is used: class folders, file types,
 * image counts, decodability and sizes. Every refusal is a {@link CareException} that names the file or folder,
 * what was found and what is expected.
 */
final class InputImages {

    private InputImages() {}

    /**
     * The images of a folder of class folders, {@code folder/<class>/.../<image>}: classes in name order, each
     * class's images found recursively in path order. Hidden files and folders (names starting with a dot) are
     * skipped; any other file that is not a {@code .jpg, .jpeg, .png} or {@code .bmp} image is refused, and so is
     * an image lying directly in {@code folder}.
     */
    static Map<String, List<Path>> classFolders(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new CareException(folder + ": no such folder (expected one sub-folder of images per class)");
        }
        List<Path> classDirs = new ArrayList<>();
        try (Stream<Path> entries = Files.list(folder)) {
            for (Path p : (Iterable<Path>) entries.sorted()::iterator) {
                if (hidden(p)) {
                    continue;
                }
                if (Files.isDirectory(p)) {
                    classDirs.add(p);
                } else if (isImageName(p)) {
                    throw new CareException(p + ": an image outside a class folder (expected " + folder
                            + "/<class name>/<images>)");
                }
            }
        } catch (IOException e) {
            throw new CareException(folder + ": cannot list the folder: " + e.getMessage(), e);
        }
        if (classDirs.isEmpty()) {
            throw new CareException(folder + ": no class folders (expected one sub-folder of images per class)");
        }
        Map<String, List<Path>> classes = new LinkedHashMap<>();
        for (Path dir : classDirs) {
            classes.put(dir.getFileName().toString(), imagesIn(dir));
        }
        return classes;
    }

    private static List<Path> imagesIn(Path classDir) {
        List<Path> images = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(classDir, FileVisitOption.FOLLOW_LINKS)) {
            for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                if (p.equals(classDir) || Files.isDirectory(p) || hiddenBelow(classDir, p)) {
                    continue;
                }
                if (!isImageName(p)) {
                    throw new CareException(p + ": not an image file (expected .jpg, .jpeg, .png or .bmp)");
                }
                images.add(p);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new CareException(classDir + ": cannot scan the class folder: " + e.getMessage(), e);
        }
        return images;
    }

    /**
     * Checks training or test images: valid class names, at least {@code minPerClass} images per class, and every
     * image readable, decodable and within the size limits.
     *
     * @param decode decode every image completely (training), or read only headers (prediction)
     */
    static void check(Map<String, List<Path>> classes, int minPerClass, String role, boolean decode) {
        if (classes.isEmpty()) {
            throw new CareException("no " + role + " classes given");
        }
        for (Map.Entry<String, List<Path>> c : classes.entrySet()) {
            checkClassName(c.getKey());
            List<Path> files = c.getValue();
            if (files.size() < minPerClass) {
                throw new CareException("class \"" + c.getKey() + "\"" + where(files) + ": " + files.size()
                        + (files.size() == 1 ? " image" : " images") + "; each " + role + " class needs at least "
                        + minPerClass + (minPerClass == 1 ? "" : " (for its feature statistics)"));
            }
            for (Path f : files) {
                checkImage(f, decode);
            }
        }
    }

    /** Checks one image file: present, a supported format, at most the pixel limit, at least the minimum side. */
    static void checkImage(Path file, boolean decode) {
        if (!Files.exists(file)) {
            throw new CareException(file + ": no such image file");
        }
        if (!Files.isRegularFile(file)) {
            throw new CareException(file + ": not a file (expected a .jpg, .jpeg, .png or .bmp image)");
        }
        int width;
        int height;
        if (decode) {
            RgbImage image = ImageDecoder.decode(file);
            width = image.width();
            height = image.height();
        } else {
            ImageDecoder.Size size = ImageDecoder.size(file);
            width = size.width();
            height = size.height();
        }
        int min = CareModel.MIN_IMAGE_SIDE;
        if (width < min || height < min) {
            throw new CareException(file + ": image of " + width + "x" + height + " pixels is too small; the minimum"
                    + " is " + min + "x" + min);
        }
    }

    /** A class name: not blank, no control characters, at most 200 characters. */
    static void checkClassName(String name) {
        boolean control = name.codePoints().anyMatch(Character::isISOControl);
        if (name.isBlank() || control || name.length() > 200) {
            throw new CareException("class name \"" + name.replaceAll("\\p{Cntrl}", "?") + "\": expected 1 to 200"
                    + " printable characters");
        }
    }

    private static String where(List<Path> files) {
        return files.isEmpty() || files.get(0).getParent() == null ? "" : " (" + files.get(0).getParent() + ")";
    }

    private static boolean isImageName(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot >= 0 && ImageDecoder.EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    private static boolean hiddenBelow(Path root, Path p) {
        for (Path part : root.relativize(p)) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }
}
