package org.care4j.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.care4j.runtime.CareException;

/**
 * CIFAR-100 in either official layout, read whole into memory (50,000 + 10,000 images of 32x32, 184
 * MB).
 *
 * <ul>
 *   <li>{@code cifar-100-binary}: {@code train.bin} and {@code test.bin} hold records of 3,074
 *       bytes (coarse label, fine label, then the 1,024 red, 1,024 green and 1,024 blue values row
 *       by row); {@code fine_label_names.txt} lists the 100 names in label order.
 *   <li>{@code cifar-100-python}: pickled dicts {@code train}, {@code test} ({@code data} uint8 [N,
 *       3072] in the same plane order, {@code fine_labels}) and {@code meta} ({@code
 *       fine_label_names}), as torchvision and LAMDA-PILOT read them; parsed by {@link
 *       PickleReader}, which runs no pickled code.
 * </ul>
 *
 * Either layout may be given as its folder or as the {@code .tar.gz} as downloaded. Labels are the
 * fine labels (official order); images keep the record order of the files.
 */
public final class Cifar100 {

    /** Image side in pixels. */
    public static final int SIDE = 32;

    /** Bytes of one image (three 32x32 planes). */
    public static final int IMAGE_BYTES = 3 * SIDE * SIDE;

    /** Bytes of one record in the binary layout (coarse label, fine label, image). */
    public static final int RECORD_BYTES = IMAGE_BYTES + 2;

    /** Number of fine classes. */
    public static final int CLASSES = 100;

    /** The files of both layouts, in the order a folder is read. */
    private static final List<String> FILE_NAMES =
            List.of("train.bin", "test.bin", "fine_label_names.txt", "train", "test", "meta");

    private final ImageDataset train;
    private final ImageDataset test;
    private final List<String> names;

    private Cifar100(ImageDataset train, ImageDataset test, List<String> names) {
        this.train = train;
        this.test = test;
        this.names = names;
    }

    /** Training split (50,000 images in the official release). */
    public ImageDataset train() {
        return train;
    }

    /** Test split (10,000 images in the official release). */
    public ImageDataset test() {
        return test;
    }

    /** The 100 fine label names in official (label) order. */
    public List<String> fineLabelNames() {
        return names;
    }

    /**
     * Reads a {@code cifar-100-binary} or {@code cifar-100-python} folder, or either {@code
     * .tar.gz}.
     *
     * @throws CareException if the path is missing, the layout is neither, or a file is damaged
     */
    public static Cifar100 read(Path path) {
        if (!Files.exists(path)) {
            throw new CareException(path + ": CIFAR-100 not found");
        }
        Parts parts = new Parts();
        try {
            if (Files.isDirectory(path)) {
                for (String name : FILE_NAMES) {
                    Path file = path.resolve(name);
                    if (Files.isRegularFile(file)) {
                        try (InputStream in =
                                new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
                            parts.accept(name, file.toString(), in, Files.size(file));
                        }
                    }
                }
            } else {
                readArchive(path, parts);
            }
        } catch (EOFException e) {
            throw new CareException(
                    path + ": file ends early, truncated download? (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new CareException(path + ": cannot read CIFAR-100: " + e.getMessage(), e);
        }
        return parts.build(path);
    }

    /**
     * Reads the files of a layout held in memory, by file name, exactly as {@link #read} reads them
     * from a folder; parsers and fuzz tests use it to skip the disk.
     *
     * @param source the folder the files stand for, in messages
     */
    static Cifar100 read(Map<String, byte[]> files, Path source) {
        Parts parts = new Parts();
        try {
            for (String name : FILE_NAMES) {
                byte[] bytes = files.get(name);
                if (bytes != null) {
                    parts.accept(
                            name,
                            source.resolve(name).toString(),
                            new ByteArrayInputStream(bytes),
                            bytes.length);
                }
            }
        } catch (EOFException e) {
            throw new CareException(
                    source + ": file ends early, truncated download? (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new CareException(source + ": cannot read CIFAR-100: " + e.getMessage(), e);
        }
        return parts.build(source);
    }

    private static void readArchive(Path archive, Parts parts) throws IOException {
        try (InputStream file = new BufferedInputStream(Files.newInputStream(archive), 1 << 16);
                TarArchiveInputStream tar =
                        new TarArchiveInputStream(new GzipCompressorInputStream(file))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                if (!e.isFile()) {
                    continue;
                }
                String name = e.getName();
                String base = name.substring(name.lastIndexOf('/') + 1);
                parts.accept(base, archive + "!" + name, tar, e.getSize());
            }
        } catch (IOException e) {
            if (e instanceof EOFException
                    || e.getMessage() != null && e.getMessage().contains("truncated")) {
                throw new EOFException(e.getMessage());
            }
            throw new IOException("not a readable .tar.gz (" + e.getMessage() + ")", e);
        }
    }

    /** Collects the files of either layout as they are met. */
    private static final class Parts {
        Split binaryTrain;
        Split binaryTest;
        Split pythonTrain;
        Split pythonTest;
        List<String> binaryNames;
        List<String> pythonNames;

        void accept(String base, String source, InputStream in, long size) throws IOException {
            switch (base) {
                case "train.bin" -> binaryTrain = readBinary(in, size, source);
                case "test.bin" -> binaryTest = readBinary(in, size, source);
                case "fine_label_names.txt" -> binaryNames = readNames(in, source);
                case "train" -> pythonTrain = readPython(in, source);
                case "test" -> pythonTest = readPython(in, source);
                case "meta" -> pythonNames = readMeta(in, source);
                default -> {}
            }
        }

        Cifar100 build(Path path) {
            if (binaryTrain != null || binaryTest != null || binaryNames != null) {
                return assemble(
                        path,
                        binaryTrain,
                        binaryTest,
                        binaryNames,
                        "train.bin, test.bin and fine_label_names.txt");
            }
            if (pythonTrain != null || pythonTest != null || pythonNames != null) {
                return assemble(path, pythonTrain, pythonTest, pythonNames, "train, test and meta");
            }
            throw new CareException(
                    path
                            + ": neither the cifar-100-binary layout (train.bin, test.bin,"
                            + " fine_label_names.txt) nor the cifar-100-python layout (train, test,"
                            + " meta)");
        }

        private static Cifar100 assemble(
                Path path, Split train, Split test, List<String> names, String needed) {
            if (train == null || test == null || names == null) {
                throw new CareException(path + ": incomplete CIFAR-100, needs " + needed);
            }
            return new Cifar100(new CifarImages(train, names), new CifarImages(test, names), names);
        }
    }

    /** One split as read: planar pixels of all images and their fine labels. */
    record Split(String source, byte[] pixels, byte[] labels) {
        int size() {
            return labels.length;
        }
    }

    static Split readBinary(InputStream raw, long size, String source) throws IOException {
        long records = size / RECORD_BYTES;
        if (records > Integer.MAX_VALUE / IMAGE_BYTES) {
            throw new CareException(source + ": " + size + " bytes is too large for a CIFAR file");
        }
        if (size % RECORD_BYTES != 0) {
            throw new CareException(
                    source
                            + ": truncated record "
                            + records
                            + " ("
                            + size % RECORD_BYTES
                            + " of "
                            + RECORD_BYTES
                            + " bytes); the file should hold whole 3,074-byte records");
        }
        int n = (int) records;
        byte[] pixels = new byte[n * IMAGE_BYTES];
        byte[] labels = new byte[n];
        DataInputStream in = new DataInputStream(raw);
        for (int i = 0; i < n; i++) {
            try {
                in.readUnsignedByte();
                int fine = in.readUnsignedByte();
                if (fine >= CLASSES) {
                    throw new CareException(
                            source
                                    + ": record "
                                    + i
                                    + " has fine label "
                                    + fine
                                    + ", outside 0..99");
                }
                labels[i] = (byte) fine;
                in.readFully(pixels, i * IMAGE_BYTES, IMAGE_BYTES);
            } catch (EOFException e) {
                throw new CareException(
                        source
                                + ": truncated record "
                                + i
                                + " (file ends before its "
                                + RECORD_BYTES
                                + " bytes)",
                        e);
            }
        }
        return new Split(source, pixels, labels);
    }

    private static List<String> readNames(InputStream in, String source) throws IOException {
        List<String> names = new ArrayList<>();
        for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            String name = line.strip();
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        return checkNames(names, source);
    }

    private static List<String> checkNames(List<String> names, String source) {
        if (names.size() != CLASSES) {
            throw new CareException(
                    source + ": expected " + CLASSES + " fine label names, found " + names.size());
        }
        return List.copyOf(names);
    }

    private static Split readPython(InputStream in, String source) throws IOException {
        Map<?, ?> dict = pickledDict(in, source);
        if (!(dict.get("data") instanceof PickleReader.NumpyArray data)) {
            throw new CareException(source + ": no 'data' array");
        }
        int[] shape = data.shape();
        if (!data.dtype().equals("u1")
                || shape.length != 2
                || shape[1] != IMAGE_BYTES
                || data.fortranOrder()) {
            throw new CareException(
                    source
                            + ": 'data' must be a C-ordered uint8 array [N, 3072], found "
                            + data.dtype()
                            + " "
                            + Arrays.toString(shape));
        }
        if (!(dict.get("fine_labels") instanceof List<?> fine) || fine.size() != shape[0]) {
            throw new CareException(
                    source + ": 'fine_labels' must list one label per image (" + shape[0] + ")");
        }
        byte[] labels = new byte[shape[0]];
        for (int i = 0; i < labels.length; i++) {
            if (!(fine.get(i) instanceof Long label) || label < 0 || label >= CLASSES) {
                throw new CareException(
                        source
                                + ": image "
                                + i
                                + " has fine label "
                                + fine.get(i)
                                + ", outside 0..99");
            }
            labels[i] = label.byteValue();
        }
        return new Split(source, data.data(), labels);
    }

    private static List<String> readMeta(InputStream in, String source) throws IOException {
        Map<?, ?> dict = pickledDict(in, source);
        if (!(dict.get("fine_label_names") instanceof List<?> values)) {
            throw new CareException(source + ": no 'fine_label_names' list");
        }
        List<String> names = new ArrayList<>();
        for (Object v : values) {
            if (v instanceof byte[] b) {
                names.add(new String(b, StandardCharsets.ISO_8859_1));
            } else if (v instanceof String s) {
                names.add(s);
            } else {
                throw new CareException(source + ": a fine label name is not a string");
            }
        }
        return checkNames(names, source);
    }

    private static Map<?, ?> pickledDict(InputStream in, String source) throws IOException {
        Object value = PickleReader.read(in, source);
        if (!(value instanceof Map<?, ?> dict)) {
            throw new CareException(source + ": the pickle holds no dict");
        }
        return dict;
    }

    /**
     * One split held in memory; an image is converted from planes to interleaved RGB when asked
     * for.
     */
    private static final class CifarImages implements ImageDataset {
        private final Split split;
        private final List<String> names;

        CifarImages(Split split, List<String> names) {
            this.split = split;
            this.names = names;
        }

        @Override
        public int size() {
            return split.size();
        }

        @Override
        public int label(int i) {
            return split.labels()[i];
        }

        @Override
        public int numClasses() {
            return CLASSES;
        }

        @Override
        public List<String> classNames() {
            return names;
        }

        @Override
        public RgbImage image(int i) {
            byte[] planes = split.pixels();
            int base = i * IMAGE_BYTES;
            int plane = SIDE * SIDE;
            byte[] rgb = new byte[IMAGE_BYTES];
            for (int p = 0; p < plane; p++) {
                rgb[3 * p] = planes[base + p];
                rgb[3 * p + 1] = planes[base + plane + p];
                rgb[3 * p + 2] = planes[base + 2 * plane + p];
            }
            return new RgbImage(SIDE, SIDE, rgb);
        }

        @Override
        public String describe(int i) {
            return split.source() + " image " + i;
        }

        @Override
        public String toString() {
            return "CIFAR-100 " + split.source() + " (" + size() + " images)";
        }
    }
}
