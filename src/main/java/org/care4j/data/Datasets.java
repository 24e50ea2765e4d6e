package org.care4j.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.care4j.runtime.CareException;

/**
 * Opens a benchmark by its LAMDA-PILOT dataset name from a data root folder, with the reference's
 * class order ({@code np.random.seed(seed); np.random.permutation(n)} when {@code shuffle}, else
 * the original order) and "B-m Inc-n" task split.
 *
 * <p>Where each dataset is looked for under the data root:
 *
 * <ul>
 *   <li>{@code cifar224}, {@code cifar100}: {@code cifar-100-binary/}, {@code cifar-100-python/},
 *       {@code cifar-100-binary.tar.gz} or {@code cifar-100-python.tar.gz} (first found); the root
 *       may also be one of these itself.
 *   <li>{@code omniglot}: {@code omniglot/} holding {@code images_background} and {@code
 *       images_evaluation} (zips or folders); the root may also be that folder.
 *   <li>ImageFolder benchmarks, {@code <folder>/train/<class>/} and {@code <folder>/test/<class>/}:
 *       {@code imagenetr} in {@code imagenet-r/}, {@code imageneta} in {@code imagenet-a/}, {@code
 *       objectnet} in {@code objectnet/}, {@code omnibenchmark} in {@code omnibenchmark/}, {@code
 *       omnibenchmark1k} in {@code omnibenchmark-1k/}, {@code vtab} in {@code vtab/}; {@code
 *       imagefolder} takes the root itself.
 * </ul>
 */
public final class Datasets {

    private static final Map<String, List<String>> IMAGE_FOLDERS = new LinkedHashMap<>();

    static {
        IMAGE_FOLDERS.put("imagenetr", List.of("imagenet-r", "imagenetr", "imagenet_r"));
        IMAGE_FOLDERS.put("imageneta", List.of("imagenet-a", "imageneta", "imagenet_a"));
        IMAGE_FOLDERS.put("objectnet", List.of("objectnet"));
        IMAGE_FOLDERS.put("omnibenchmark", List.of("omnibenchmark"));
        IMAGE_FOLDERS.put(
                "omnibenchmark1k",
                List.of("omnibenchmark-1k", "omnibenchmark1k", "omnibenchmark_1k"));
        IMAGE_FOLDERS.put("vtab", List.of("vtab"));
    }

    private static final List<String> CIFAR =
            List.of(
                    "cifar-100-binary",
                    "cifar-100-python",
                    "cifar-100-binary.tar.gz",
                    "cifar-100-python.tar.gz");

    private Datasets() {}

    /** Dataset names {@link #open} understands. */
    public static List<String> names() {
        List<String> names = new ArrayList<>(List.of("cifar224", "cifar100", "omniglot"));
        names.addAll(IMAGE_FOLDERS.keySet());
        names.add("imagefolder");
        return names;
    }

    /**
     * Opens a benchmark.
     *
     * @param datasetName one of {@link #names()} (case-insensitive)
     * @param dataRoot the folder that holds the datasets
     * @param seed class-order seed, 0 to 2^32 - 1 (1993 in the published runs)
     * @param initCls classes in task 0
     * @param increment classes in each later task
     * @param shuffle draw the class order from the seed (the reference's {@code shuffle}); else
     *     keep the original order
     * @throws CareException naming the path or value when the data is missing or the settings do
     *     not fit it
     */
    public static ContinualBenchmark open(
            String datasetName,
            Path dataRoot,
            long seed,
            int initCls,
            int increment,
            boolean shuffle) {
        String name = datasetName.toLowerCase(Locale.ROOT);
        if (seed < 0 || seed > 0xFFFFFFFFL) {
            throw new CareException(
                    "seed must be between 0 and 2^32 - 1 (NumPy's limit), got " + seed);
        }
        ImageDataset train;
        ImageDataset test;
        switch (name) {
            case "cifar224", "cifar100" -> {
                Cifar100 cifar = Cifar100.read(findCifar(dataRoot));
                train = cifar.train();
                test = cifar.test();
            }
            case "omniglot" -> {
                Path dir =
                        Files.isDirectory(dataRoot.resolve("omniglot"))
                                ? dataRoot.resolve("omniglot")
                                : dataRoot;
                Omniglot omniglot = Omniglot.read(dir);
                train = omniglot.train();
                test = omniglot.test();
            }
            default -> {
                Path folder = findImageFolder(name, dataRoot);
                train = ImageFolderDataset.open(folder.resolve("train"));
                test = ImageFolderDataset.open(folder.resolve("test"));
                if (!train.classNames().equals(test.classNames())) {
                    throw new CareException(
                            folder
                                    + ": train/ and test/ have different class folders ("
                                    + train.numClasses()
                                    + " and "
                                    + test.numClasses()
                                    + ")"
                                    + firstDifference(train.classNames(), test.classNames()));
                }
            }
        }
        int n = train.numClasses();
        TaskSplit split = taskSplit(name, n, initCls, increment);
        ClassOrder order = shuffle ? ClassOrder.numpyPermutation(n, seed) : ClassOrder.identity(n);
        return ContinualBenchmark.of(name, train, test, order, split);
    }

    static Path findCifar(Path root) {
        if (Files.isRegularFile(root)
                || Files.isRegularFile(root.resolve("train.bin"))
                || Files.isRegularFile(root.resolve("meta"))) {
            return root;
        }
        for (String candidate : CIFAR) {
            if (Files.exists(root.resolve(candidate))) {
                return root.resolve(candidate);
            }
        }
        throw new CareException(
                root
                        + ": CIFAR-100 not found; expected one of "
                        + String.join(", ", CIFAR)
                        + " there (run: care data fetch cifar100 --to "
                        + root
                        + ")");
    }

    static Path findImageFolder(String name, Path root) {
        if (name.equals("imagefolder")) {
            return root;
        }
        List<String> candidates = IMAGE_FOLDERS.get(name);
        if (candidates == null) {
            throw new CareException(
                    "unknown dataset '" + name + "'; known: " + String.join(", ", names()));
        }
        for (String candidate : candidates) {
            if (Files.isDirectory(root.resolve(candidate))) {
                return root.resolve(candidate);
            }
        }
        throw new CareException(
                root.resolve(candidates.get(0))
                        + ": "
                        + name
                        + " not found (expected train/<class>/"
                        + " and test/<class>/ folders as LAMDA-PILOT distributes it)");
    }

    private static TaskSplit taskSplit(String name, int numClasses, int initCls, int increment) {
        try {
            return new TaskSplit(numClasses, initCls, increment);
        } catch (IllegalArgumentException e) {
            throw new CareException(name + " (" + numClasses + " classes): " + e.getMessage());
        }
    }

    private static String firstDifference(List<String> a, List<String> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            if (!a.get(i).equals(b.get(i))) {
                return "; first difference: '" + a.get(i) + "' vs '" + b.get(i) + "'";
            }
        }
        return "";
    }
}
