package org.care4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.care4j.runtime.CareException;

/**
 * Omniglot: 1,623 handwritten characters (964 in {@code images_background}, 659 in {@code
 * images_evaluation}), each drawn once by 20 people as a 105x105 black-on-white image; images are
 * given to learners as RGB with three equal channels (white 255, ink 0).
 *
 * <p><b>Classes.</b> A class is one character. Classes are ordered by the character number in the
 * official file names ({@code NNNN_DD.png}: character NNNN, drawer DD), which puts the background
 * set first; this is the order of the NumPy arrays in {@code ../shared/data/omniglot} (class c of
 * the evaluation file is class 964 + c), so both layouts give the same classes in the same order.
 * It is not the sorted folder order of alphabet and character names. Class names are the four-digit
 * character numbers.
 *
 * <p><b>Split.</b> Omniglot has no train/test split, so a fixed one per class is used: drawers 1 to
 * 15 are training images and drawers 16 to 20 test images ({@value #TRAIN_DRAWINGS} + 5 per class;
 * 24,345 and 8,115 images in all). Within a split, images are ordered by class, then drawer.
 *
 * <p>Layouts: a folder holding {@code images_background} and {@code images_evaluation}, each as the
 * official zip or its extracted folder of {@code alphabet/character/NNNN_DD.png}.
 */
public final class Omniglot {

    /** Classes in the full release. */
    public static final int CLASSES = 1623;

    /** Drawings (drawers) per class. */
    public static final int DRAWINGS = 20;

    /** Drawings per class used for training: drawers 1 to this number. */
    public static final int TRAIN_DRAWINGS = 15;

    /** Image side in pixels. */
    public static final int SIDE = 105;

    private static final int PIXELS = SIDE * SIDE;
    private static final Pattern DRAWING = Pattern.compile("(\\d{4})_(\\d{2})\\.png");
    private static final List<String> SETS = List.of("images_background", "images_evaluation");

    private final long[][] white;
    private final List<String> names;
    private final String[] sources;
    private final ImageDataset train;
    private final ImageDataset test;

    private Omniglot(long[][] white, List<String> names, String[] sources) {
        this.white = white;
        this.names = names;
        this.sources = sources;
        this.train = new Split(0, TRAIN_DRAWINGS, "train");
        this.test = new Split(TRAIN_DRAWINGS, DRAWINGS, "test");
    }

    /** Training split: drawers 1 to 15 of every class. */
    public ImageDataset train() {
        return train;
    }

    /** Test split: drawers 16 to 20 of every class. */
    public ImageDataset test() {
        return test;
    }

    /** Class names (four-digit character numbers), in class order. */
    public List<String> classNames() {
        return names;
    }

    /**
     * Reads the official layout from a folder holding {@code images_background} and {@code
     * images_evaluation}, each as {@code .zip} or folder.
     */
    public static Omniglot read(Path dir) {
        boolean official = false;
        boolean arrays = true;
        for (String set : SETS) {
            official |= Files.isDirectory(dir.resolve(set)) || Files.isRegularFile(dir.resolve(set + ".zip"));
            arrays &= Files.isRegularFile(dir.resolve(set + ".npz"));
        }
        if (!official && arrays) {
            return readArrays(dir);
        }
        List<Drawing> drawings = new ArrayList<>();
        for (String set : SETS) {
            Path zip = dir.resolve(set + ".zip");
            Path folder = dir.resolve(set);
            if (Files.isDirectory(folder)) {
                drawings.addAll(scanFolder(folder));
            } else if (Files.isRegularFile(zip)) {
                drawings.addAll(scanZip(zip));
            } else {
                throw new CareException(
                        dir
                                + ": Omniglot needs "
                                + set
                                + ".zip, the folder "
                                + set
                                + " or "
                                + set
                                + ".npz (run: care data fetch omniglot --to "
                                + dir.getParent()
                                + ")");
            }
        }
        return assemble(drawings, dir);
    }

    /** Reads {@code images_background.npz} and {@code images_evaluation.npz} (see {@link #fromArrays}). */
    static Omniglot readArrays(Path dir) {
        List<boolean[]> images = new ArrayList<>();
        List<long[]> labels = new ArrayList<>();
        List<String> sources = new ArrayList<>();
        for (String set : SETS) {
            Path file = dir.resolve(set + ".npz");
            try (org.care4j.io.Npz npz = org.care4j.io.Npz.open(file)) {
                for (String key : List.of("images", "labels")) {
                    if (!npz.contains(key)) {
                        throw new CareException(file + ": no array '" + key + "'");
                    }
                }
                org.care4j.io.NpyArray img = npz.get("images");
                org.care4j.io.NpyArray lab = npz.get("labels");
                long[] s = img.shape();
                long[] l = lab.shape();
                if (s.length != 4 || s[1] != 20 || s[2] != 105 || s[3] != 105 || l.length != 2 || l[0] != s[0]
                        || l[1] != 20) {
                    throw new CareException(file + ": expected images [classes, 20, 105, 105] and labels "
                            + "[classes, 20], got " + java.util.Arrays.toString(s) + " and "
                            + java.util.Arrays.toString(l));
                }
                images.add(img.booleans());
                labels.add(lab.longs());
                sources.add(file.toString());
            } catch (java.io.IOException e) {
                throw new CareException(e.getMessage(), e);
            }
        }
        return fromArrays(images, labels, sources);
    }

    /**
     * Builds Omniglot from the arrays of {@code images_background.npz} and {@code
     * images_evaluation.npz}: per set, {@code images} bool [classes, 20, 105, 105] in C order (true
     * = white) and {@code labels} int64 [classes, 20] (class index within the set). Class c of the
     * first set is character c + 1 and class c of the second set character (classes of the first) +
     * c + 1, as the arrays were built from the official file names, so the classes and their order
     * equal {@link #read}'s.
     *
     * @param sources the two files, for messages
     */
    static Omniglot fromArrays(List<boolean[]> images, List<long[]> labels, List<String> sources) {
        int total = 0;
        int[] classes = new int[images.size()];
        for (int s = 0; s < images.size(); s++) {
            long perClass = (long) DRAWINGS * PIXELS;
            if (images.get(s).length % perClass != 0) {
                throw new CareException(
                        sources.get(s) + ": images must be [classes, 20, 105, 105]");
            }
            classes[s] = (int) (images.get(s).length / perClass);
            long[] l = labels.get(s);
            if (l.length != classes[s] * DRAWINGS) {
                throw new CareException(sources.get(s) + ": labels must be [classes, 20]");
            }
            for (int k = 0; k < l.length; k++) {
                if (l[k] != k / DRAWINGS) {
                    throw new CareException(
                            String.format(
                                    Locale.ROOT,
                                    "%s: labels[%d][%d] is %d, expected %d (class order of the"
                                        + " arrays)",
                                    sources.get(s),
                                    k / DRAWINGS,
                                    k % DRAWINGS,
                                    l[k],
                                    k / DRAWINGS));
                }
            }
            total += classes[s];
        }
        long[][] white = new long[total * DRAWINGS][];
        String[] where = new String[total * DRAWINGS];
        List<String> names = new ArrayList<>();
        int k = 0;
        for (int s = 0; s < images.size(); s++) {
            boolean[] set = images.get(s);
            for (int c = 0; c < classes[s]; c++) {
                names.add(String.format(Locale.ROOT, "%04d", names.size() + 1));
                for (int d = 0; d < DRAWINGS; d++, k++) {
                    long[] bits = new long[(PIXELS + 63) / 64];
                    int base = (c * DRAWINGS + d) * PIXELS;
                    for (int p = 0; p < PIXELS; p++) {
                        if (set[base + p]) {
                            bits[p >>> 6] |= 1L << (p & 63);
                        }
                    }
                    white[k] = bits;
                    where[k] =
                            String.format(Locale.ROOT, "%s images[%d][%d]", sources.get(s), c, d);
                }
            }
        }
        return new Omniglot(white, List.copyOf(names), where);
    }

    /**
     * One drawing as found: character number, drawer 1..20, its folder, where it is, its PNG bytes.
     */
    private record Drawing(
            int character, int drawer, String alphabetPath, String source, byte[] png) {}

    private static List<Drawing> scanFolder(Path folder) {
        List<Drawing> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                if (Files.isRegularFile(p)) {
                    String rel = folder.relativize(p).toString().replace('\\', '/');
                    Drawing d = parse(rel, p.toString());
                    if (d != null) {
                        out.add(withBytes(d, Files.readAllBytes(p)));
                    }
                }
            }
        } catch (IOException | UncheckedIOException e) {
            throw new CareException(folder + ": cannot scan Omniglot folder: " + e.getMessage(), e);
        }
        return out;
    }

    private static List<Drawing> scanZip(Path zip) {
        List<Drawing> out = new ArrayList<>();
        try (ZipFile file = new ZipFile(zip.toFile())) {
            for (ZipEntry e : Collections.list(file.entries())) {
                if (e.isDirectory()) {
                    continue;
                }
                Drawing d = parse(e.getName(), zip + "!" + e.getName());
                if (d != null) {
                    try (InputStream in = file.getInputStream(e)) {
                        out.add(withBytes(d, in.readAllBytes()));
                    }
                }
            }
        } catch (IOException e) {
            throw new CareException(zip + ": not a readable zip: " + e.getMessage(), e);
        }
        return out;
    }

    /** Parses {@code [set/]alphabet/character/NNNN_DD.png}; other files are ignored. */
    private static Drawing parse(String relative, String source) {
        String[] parts = relative.split("/");
        if (parts.length < 3) {
            return null;
        }
        Matcher m = DRAWING.matcher(parts[parts.length - 1]);
        if (!m.matches()) {
            return null;
        }
        int drawer = Integer.parseInt(m.group(2));
        if (drawer < 1 || drawer > DRAWINGS) {
            throw new CareException(source + ": drawer " + drawer + " outside 1.." + DRAWINGS);
        }
        String alphabetPath = parts[parts.length - 3] + "/" + parts[parts.length - 2];
        return new Drawing(Integer.parseInt(m.group(1)), drawer, alphabetPath, source, null);
    }

    private static Drawing withBytes(Drawing d, byte[] png) {
        return new Drawing(d.character(), d.drawer(), d.alphabetPath(), d.source(), png);
    }

    private static Omniglot assemble(List<Drawing> drawings, Path dir) {
        if (drawings.isEmpty()) {
            throw new CareException(
                    dir + ": no Omniglot drawings (alphabet/character/NNNN_DD.png) found");
        }
        drawings.sort(
                Comparator.comparingInt(Drawing::character).thenComparingInt(Drawing::drawer));
        List<Integer> characters = new ArrayList<>();
        for (int i = 0; i < drawings.size(); i += DRAWINGS) {
            Drawing first = drawings.get(i);
            for (int d = 0; d < DRAWINGS; d++) {
                Drawing x = i + d < drawings.size() ? drawings.get(i + d) : null;
                if (x == null
                        || x.character() != first.character()
                        || x.drawer() != d + 1
                        || !x.alphabetPath().equals(first.alphabetPath())) {
                    throw new CareException(
                            first.source()
                                    + ": character "
                                    + first.alphabetPath()
                                    + " ("
                                    + String.format("%04d", first.character())
                                    + ") must have exactly the drawings _01 to _"
                                    + DRAWINGS
                                    + ", all in one folder; "
                                    + (x == null
                                            ? "drawing " + (d + 1) + " is missing"
                                            : "found " + x.source()));
                }
            }
            characters.add(first.character());
        }
        int classes = characters.size();
        long[][] white = new long[classes * DRAWINGS][];
        String[] sources = new String[classes * DRAWINGS];
        // Decoding ~32,000 small PNGs dominates reading; each drawing fills its own slot, so they
        // decode in parallel.
        IntStream.range(0, drawings.size())
                .parallel()
                .forEach(
                        k -> {
                            sources[k] = drawings.get(k).source();
                            white[k] = whiteBits(drawings.get(k));
                        });
        List<String> names =
                characters.stream().map(c -> String.format(Locale.ROOT, "%04d", c)).toList();
        return new Omniglot(white, names, sources);
    }

    private static long[] whiteBits(Drawing d) {
        RgbImage image = ImageDecoder.decode(d.png(), d.source());
        if (image.width() != SIDE || image.height() != SIDE) {
            throw new BadImageException(
                    d.source(),
                    String.format(
                            Locale.ROOT,
                            "expected %dx%d, found %dx%d",
                            SIDE,
                            SIDE,
                            image.width(),
                            image.height()));
        }
        return whiteBits(image);
    }

    /**
     * One drawing as bits, row by row; a pixel is white when it is not black, as NumPy's bool cast
     * does.
     */
    private static long[] whiteBits(RgbImage image) {
        byte[] rgb = image.rgb();
        long[] bits = new long[(PIXELS + 63) / 64];
        for (int p = 0; p < PIXELS; p++) {
            if (rgb[3 * p] != 0) {
                bits[p >>> 6] |= 1L << (p & 63);
            }
        }
        return bits;
    }

    private RgbImage drawing(int cls, int drawer) {
        long[] bits = white[cls * DRAWINGS + drawer];
        byte[] rgb = new byte[PIXELS * 3];
        for (int p = 0; p < PIXELS; p++) {
            if ((bits[p >>> 6] & (1L << (p & 63))) != 0) {
                rgb[3 * p] = (byte) 255;
                rgb[3 * p + 1] = (byte) 255;
                rgb[3 * p + 2] = (byte) 255;
            }
        }
        return new RgbImage(SIDE, SIDE, rgb);
    }

    /** Drawers {@code from+1 .. to} of every class. */
    private final class Split implements ImageDataset {
        private final int from;
        private final int per;
        private final String name;

        Split(int from, int to, String name) {
            this.from = from;
            this.per = to - from;
            this.name = name;
        }

        @Override
        public int size() {
            return names.size() * per;
        }

        @Override
        public int label(int i) {
            return i / per;
        }

        @Override
        public int numClasses() {
            return names.size();
        }

        @Override
        public List<String> classNames() {
            return names;
        }

        @Override
        public RgbImage image(int i) {
            return drawing(i / per, from + i % per);
        }

        @Override
        public String describe(int i) {
            int k = (i / per) * DRAWINGS + from + i % per;
            return sources[k];
        }

        @Override
        public String toString() {
            return "Omniglot " + name + " (" + size() + " images)";
        }
    }
}
