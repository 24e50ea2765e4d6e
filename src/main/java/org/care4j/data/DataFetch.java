package org.care4j.data;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.care4j.runtime.CareException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches a dataset's official archives into a data root so that {@link Datasets#open} finds them:
 * CIFAR-100 ({@code cifar-100-binary.tar.gz} or {@code cifar-100-python.tar.gz}) into the root
 * itself, Omniglot ({@code images_background.zip}, {@code images_evaluation.zip}) into {@code
 * root/omniglot}; each archive is then extracted beside itself with {@link ArchiveExtractor}.
 *
 * <p>By default every archive comes from its official location and is checked against the published
 * MD5. Other sources (a URL or a local file per archive, or one folder or URL ending in {@code /}
 * holding the archives under their official names) are not checked unless an MD5 is given. An
 * archive already in place is reused when its checksum, if known, passes.
 */
public final class DataFetch {

    private static final Logger LOG = LoggerFactory.getLogger(DataFetch.class);

    /** An archive as published: file name, official location and MD5. */
    public record Archive(String fileName, URI official, String md5) {}

    /** The official archives of each dataset and format. */
    public static final Archive CIFAR100_BINARY =
            new Archive(
                    "cifar-100-binary.tar.gz",
                    URI.create("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"),
                    "03b5dce01913d631647c71ecec9e9cb8");

    public static final Archive CIFAR100_PYTHON =
            new Archive(
                    "cifar-100-python.tar.gz",
                    URI.create("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"),
                    "eb9058c3a382ffc7106e4002c42a8d85");
    private static final String OMNIGLOT_BASE =
            "https://raw.githubusercontent.com/brendenlake/omniglot/master/python/";

    public static final Archive OMNIGLOT_BACKGROUND =
            new Archive(
                    "images_background.zip",
                    URI.create(OMNIGLOT_BASE + "images_background.zip"),
                    "68d2efa1b9178cc56df9314c21c6e718");
    public static final Archive OMNIGLOT_EVALUATION =
            new Archive(
                    "images_evaluation.zip",
                    URI.create(OMNIGLOT_BASE + "images_evaluation.zip"),
                    "6b91aef0f799c5bb55b94e3f2daec811");

    /** Outcome of fetching one archive. */
    public record Result(
            Path archive, boolean downloaded, boolean verified, List<Path> extracted) {}

    private final Downloader downloader;

    public DataFetch(Downloader downloader) {
        this.downloader = downloader;
    }

    /**
     * The archives of a dataset ({@code cifar100} in {@code binary} or {@code python} format,
     * {@code omniglot}).
     */
    public static List<Archive> archives(String dataset, String format) {
        String d = dataset.toLowerCase(Locale.ROOT);
        String f = format == null ? "binary" : format.toLowerCase(Locale.ROOT);
        return switch (d) {
            case "cifar100", "cifar224" ->
                    switch (f) {
                        case "binary" -> List.of(CIFAR100_BINARY);
                        case "python" -> List.of(CIFAR100_PYTHON);
                        default ->
                                throw new CareException(
                                        "unknown CIFAR-100 format '"
                                                + format
                                                + "' (binary or python)");
                    };
            case "omniglot" -> List.of(OMNIGLOT_BACKGROUND, OMNIGLOT_EVALUATION);
            default ->
                    throw new CareException(
                            "cannot fetch '" + dataset + "'; fetchable: cifar100, omniglot");
        };
    }

    /** The folder a dataset's archives go to under a data root. */
    public static Path folderFor(String dataset, Path root) {
        return dataset.equalsIgnoreCase("omniglot") ? root.resolve("omniglot") : root;
    }

    /**
     * Fetches and, unless told not to, extracts a dataset's archives into its folder under the data
     * root.
     *
     * @param format CIFAR-100's layout, {@code binary} (default when null) or {@code python}
     * @see #fetch(List, Path, List, String, boolean)
     */
    public List<Result> fetch(
            String dataset,
            String format,
            Path root,
            List<String> sources,
            String md5,
            boolean extract) {
        return fetch(archives(dataset, format), folderFor(dataset, root), sources, md5, extract);
    }

    /**
     * Fetches and, unless told not to, extracts archives into a folder.
     *
     * @param folder where the archives and their contents go
     * @param sources empty for the official locations; else one URL or file per archive, or a
     *     single folder or URL ending in {@code /} holding the archives by their official names
     * @param md5 expected MD5 of a single non-official archive, or null
     */
    public List<Result> fetch(
            List<Archive> archives,
            Path folder,
            List<String> sources,
            String md5,
            boolean extract) {
        List<URI> from = resolveSources(archives, sources);
        if (md5 != null
                && (archives.size() != 1 || from.get(0).equals(archives.get(0).official()))) {
            throw new CareException(
                    "--md5 applies to a single archive from another source than the official one");
        }
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < archives.size(); i++) {
            Archive a = archives.get(i);
            URI source = from.get(i);
            String expected = source.equals(a.official()) ? a.md5() : md5;
            Path target = folder.resolve(a.fileName());
            boolean downloaded = false;
            if (Files.isRegularFile(target)
                    && (expected == null || Downloader.md5(target).equalsIgnoreCase(expected))) {
                LOG.info("{} is already in place", target);
            } else {
                if (Files.isRegularFile(target)) {
                    LOG.warn("{} fails its checksum; fetching it again", target);
                }
                downloader.fetch(source, target, expected);
                downloaded = true;
            }
            List<Path> extracted = extract ? ArchiveExtractor.extract(target, folder) : List.of();
            results.add(new Result(target, downloaded, expected != null, extracted));
        }
        return results;
    }

    private static List<URI> resolveSources(List<Archive> archives, List<String> sources) {
        List<URI> out = new ArrayList<>();
        if (sources == null || sources.isEmpty()) {
            archives.forEach(a -> out.add(a.official()));
            return out;
        }
        if (sources.size() == archives.size()
                && !(sources.size() == 1 && isFolder(sources.get(0)))) {
            sources.forEach(s -> out.add(toUri(s)));
            return out;
        }
        if (sources.size() == 1 && isFolder(sources.get(0))) {
            URI base = toUri(sources.get(0));
            String b = base.toString().endsWith("/") ? base.toString() : base + "/";
            archives.forEach(a -> out.add(URI.create(b).resolve(a.fileName())));
            return out;
        }
        throw new CareException(
                "give one --from per archive ("
                        + archives.size()
                        + ": "
                        + String.join(", ", archives.stream().map(Archive::fileName).toList())
                        + ") or one folder or URL ending in / that holds them");
    }

    private static boolean isFolder(String source) {
        return source.endsWith("/")
                || !source.contains("://") && Files.isDirectory(Path.of(source));
    }

    /** A URL as given, or a local path as a file URI. */
    static URI toUri(String source) {
        if (source.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            try {
                return new URI(source);
            } catch (java.net.URISyntaxException e) {
                throw new CareException(source + ": not a valid URL: " + e.getMessage());
            }
        }
        return Path.of(source).toAbsolutePath().normalize().toUri();
    }
}
