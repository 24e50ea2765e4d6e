package org.care4j.api;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a model is to learn next: a name, the training images of each new class, optionally test images, and
 * optionally a number of epochs other than the config's {@code tuned_epoch}.
 *
 * <pre>{@code
 * NewTask birds = NewTask.fromFolder(Path.of("photos/birds"))        // birds/robin/*.jpg, birds/wren/*.jpg
 *         .withTestFolder(Path.of("photos/birds-test"))
 *         .withEpochs(5);
 * }</pre>
 *
 * @param name the task's name, kept in the manifest
 * @param train class name to its training images, in the order the classes get their labels
 * @param test class name to test images (new or already known classes); empty for none
 * @param epochs training epochs, or 0 for the config's {@code tuned_epoch}
 * @param source where the training images come from, for the manifest
 * @param testSource where the test images come from, for the manifest
 */
public record NewTask(String name, Map<String, List<Path>> train, Map<String, List<Path>> test, int epochs,
        String source, String testSource) {

    public NewTask {
        train = copy(train);
        test = copy(test);
        if (epochs < 0) {
            throw new IllegalArgumentException("epochs must not be negative, got " + epochs);
        }
    }

    /** A task of the given classes and images. */
    public static NewTask of(String name, Map<String, List<Path>> train) {
        return new NewTask(name, train, Map.of(), 0, "files given through the Java API", "");
    }

    /**
     * A task from a folder of class folders ({@code folder/<class>/<images>}), named after the folder.
     *
     * @throws org.care4j.runtime.CareException if the folder is missing, has no class folder, or holds a file
     *     that is not an image
     */
    public static NewTask fromFolder(Path folder) {
        Path absolute = folder.toAbsolutePath().normalize();
        Path name = absolute.getFileName();
        return new NewTask(name == null ? "task" : name.toString(), InputImages.classFolders(folder), Map.of(), 0,
                absolute.toString(), "");
    }

    /** This task with test images, evaluated right after training. */
    public NewTask withTest(Map<String, List<Path>> images) {
        return new NewTask(name, train, images, epochs, source, "files given through the Java API");
    }

    /** This task with the test images of a folder of class folders. */
    public NewTask withTestFolder(Path folder) {
        return new NewTask(name, train, InputImages.classFolders(folder), epochs, source,
                folder.toAbsolutePath().normalize().toString());
    }

    /** This task with another number of training epochs (0 for the config's). */
    public NewTask withEpochs(int count) {
        return new NewTask(name, train, test, count, source, testSource);
    }

    /** This task under another name. */
    public NewTask withName(String newName) {
        return new NewTask(newName, train, test, epochs, source, testSource);
    }

    private static Map<String, List<Path>> copy(Map<String, List<Path>> images) {
        Map<String, List<Path>> out = new LinkedHashMap<>();
        images.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return java.util.Collections.unmodifiableMap(out);
    }
}
