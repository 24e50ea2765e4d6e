package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.care4j.runtime.CareException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds {@link Cifar100#read} 10,000 mutated folders of each official layout from a fixed seed:
 * one file of a small, valid folder (records, pickled split or meta, label names) is damaged by bit
 * flips, truncation, overwritten length fields, inserted or repeated spans, swapped pickle opcodes or
 * appended junk; one case in twenty damages a {@code .tar.gz} of the folder instead. Folders are
 * read from memory through the same code that reads them from disk. Every input must end in
 * a dataset whose images and labels can all be read, or in a {@link CareException} naming the
 * problem; any other exception, a hang or an out-of-memory error fails the test with the case and its
 * input, so that it can be replayed. The budget is 2 ms per case (20 s per layout), several times
 * what the cases take on a busy two-core machine.
 */
class CifarParserFuzzTest {

    // -Dcare.fuzz.cases, -Dcare.fuzz.seed and -Dcare.fuzz.budgetPerCase (ms) run a longer or
    // different campaign by hand.
    private static final int CASES = Integer.getInteger("care.fuzz.cases", 10_000);
    private static final long SEED = Long.getLong("care.fuzz.seed", 20_240_612L);
    private static final Duration BUDGET = Duration.ofMillis(Long.getLong("care.fuzz.budgetPerCase", 2) * CASES);

    private static final long[] LENGTHS = {
        0, 1, 2, 255, 256, 3072, 3074, 65535, 0x7FFF_FFFFL, 0x7FFF_FFF7L, 0x8000_0000L, 0xFFFF_FFFFL,
        -1, 1L << 40, Long.MAX_VALUE
    };

    /** Opcodes of protocol 2 to 5, including refused ones, for swaps inside pickle structure. */
    private static final byte[] OPCODES =
            "().0123NIJKLMFGTUBCXabcdeghjlpqrstu}]N".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static final int[] HIGH_OPCODES = {
        0x80, 0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x93, 0x94, 0x95,
        0x96, 0x97, 0x98
    };

    @TempDir Path dir;

    private final Random random = new Random(SEED);

    /** One file of a layout: its name in the folder, its bytes, and where its structure lies. */
    private record Part(String name, byte[] bytes, int[][] structure) {}

    private record Mutation(String description, byte[] bytes) {}

    @Test
    void binaryLayoutSurvivesMutatedFiles() throws IOException {
        int[] train = {3, 97, 0, 41};
        int[] test = {99, 3};
        byte[] records = CifarFixtures.binaryRecords(train, 0);
        List<Part> parts =
                List.of(
                        new Part("train.bin", records, recordLabels(train.length)),
                        new Part(
                                "test.bin",
                                CifarFixtures.binaryRecords(test, train.length),
                                recordLabels(test.length)),
                        new Part(
                                "fine_label_names.txt",
                                (String.join("\n", CifarFixtures.names()) + "\n")
                                        .getBytes(java.nio.charset.StandardCharsets.UTF_8),
                                null));
        campaign("binary", parts, new int[] {60, 25, 15});
    }

    @Test
    void pythonLayoutSurvivesMutatedPickles() throws IOException {
        int[] train = {3, 97, 0};
        int[] test = {99};
        byte[] trainPickle = CifarFixtures.pickledSplit(train, 0, "training");
        byte[] testPickle = CifarFixtures.pickledSplit(test, train.length, "testing");
        List<Part> parts =
                List.of(
                        new Part("train", trainPickle, outsidePixels(trainPickle, train.length)),
                        new Part("test", testPickle, outsidePixels(testPickle, test.length)),
                        new Part("meta", CifarFixtures.pickledMeta(), null));
        campaign("python", parts, new int[] {55, 20, 25});
    }

    /**
     * Runs the cases of one layout: each damages one part (chosen with the given weights, in
     * percent) or, one case in twenty, a gzipped tar of the whole folder.
     */
    private void campaign(String layout, List<Part> parts, int[] weights) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("cifar-100-" + layout));
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (Part p : parts) {
            Files.write(folder.resolve(p.name()), p.bytes());
            files.put(p.name(), p.bytes());
        }
        byte[] archive = Files.readAllBytes(CifarFixtures.tarGz(folder, dir.resolve(layout + ".tar.gz")));
        Path damagedArchive = dir.resolve("case.tar.gz");
        int[] outcomes = new int[2];
        assertTimeoutPreemptively(
                BUDGET,
                () -> {
                    for (int i = 0; i < CASES; i++) {
                        Mutation m;
                        Part part = null;
                        try {
                            if (random.nextInt(20) == 0) {
                                m = mutateArchive(archive);
                            } else {
                                part = pick(parts, weights);
                                m = mutate(part);
                            }
                        } catch (RuntimeException e) {
                            throw new IllegalStateException("mutating case " + i, e);
                        }
                        try {
                            Cifar100 cifar;
                            if (part == null) {
                                Files.write(damagedArchive, m.bytes());
                                cifar = Cifar100.read(damagedArchive);
                            } else {
                                // Most cases are read from memory, as a folder is, to spare the disk.
                                Map<String, byte[]> damaged = new LinkedHashMap<>(files);
                                damaged.put(part.name(), m.bytes());
                                cifar = Cifar100.read(damaged, folder);
                            }
                            exercise(cifar);
                            outcomes[0]++;
                        } catch (CareException e) {
                            outcomes[1]++;
                        } catch (Throwable t) {
                            fail(report(layout, i, part, m, t), t);
                        }
                    }
                });
        assertEquals(CASES, outcomes[0] + outcomes[1]);
        // Both outcomes must be common, or the mutations are too gentle or too destructive to mean
        // much.
        assertTrue(outcomes[0] > CASES / 50, "only " + outcomes[0] + " inputs read");
        assertTrue(outcomes[1] > CASES / 4, "only " + outcomes[1] + " inputs rejected");
    }

    private Part pick(List<Part> parts, int[] weights) {
        int r = random.nextInt(100);
        for (int k = 0; k < parts.size(); k++) {
            r -= weights[k];
            if (r < 0) {
                return parts.get(k);
            }
        }
        return parts.get(parts.size() - 1);
    }

    /** Reads everything a learner would: every image, label and name of both splits. */
    private static void exercise(Cifar100 cifar) {
        assertEquals(Cifar100.CLASSES, cifar.fineLabelNames().size());
        for (ImageDataset split : List.of(cifar.train(), cifar.test())) {
            for (int i = 0; i < split.size(); i++) {
                int label = split.label(i);
                assertTrue(label >= 0 && label < Cifar100.CLASSES, "label " + label);
                RgbImage image = split.image(i);
                assertEquals(Cifar100.SIDE, image.width());
                split.describe(i);
            }
        }
    }

    private Mutation mutate(Part part) {
        byte[] base = part.bytes();
        int kind = random.nextInt(100);
        if (kind < 30) {
            return flipBits(base, part.structure());
        }
        if (kind < 42) {
            int cut = random.nextInt(base.length);
            return new Mutation("truncate to " + cut, Arrays.copyOf(base, cut));
        }
        if (kind < 60) {
            // Overwrite a 1-, 2-, 4- or 8-byte field: labels, pickle lengths, memo keys and integers.
            int width = new int[] {1, 2, 4, 8}[random.nextInt(4)];
            int at = structuralOffset(base, part.structure(), width);
            long value =
                    random.nextBoolean() ? LENGTHS[random.nextInt(LENGTHS.length)] : random.nextInt(1 << 16);
            byte[] out = base.clone();
            for (int k = 0; k < width && at + k < out.length; k++) {
                out[at + k] = (byte) (value >>> (8 * k));
            }
            return new Mutation("field@" + at + "/" + width + "=" + value, out);
        }
        if (kind < 72) {
            int at = structuralOffset(base, part.structure(), 1);
            byte[] out = base.clone();
            out[at] =
                    random.nextBoolean()
                            ? OPCODES[random.nextInt(OPCODES.length)]
                            : (byte) HIGH_OPCODES[random.nextInt(HIGH_OPCODES.length)];
            return new Mutation("opcode@" + at + "=" + (out[at] & 0xFF), out);
        }
        if (kind < 82) {
            // Repeat a span elsewhere: duplicated records, nested lists, memo references.
            int from = structuralOffset(base, part.structure(), 1);
            int length = 1 + random.nextInt(Math.min(64, base.length - from));
            int to = random.nextInt(base.length + 1);
            byte[] span = Arrays.copyOfRange(base, from, from + length);
            return new Mutation(
                    "copy " + from + "+" + length + "->" + to, splice(base, to, 0, span));
        }
        if (kind < 92) {
            int at = structuralOffset(base, part.structure(), 1);
            int length = 1 + random.nextInt(Math.min(32, base.length - at));
            return new Mutation(
                    "delete " + at + "+" + length, splice(base, at, length, new byte[0]));
        }
        byte[] junk = new byte[1 + random.nextInt(64)];
        random.nextBytes(junk);
        return new Mutation("append " + junk.length, splice(base, base.length, 0, junk));
    }

    private Mutation mutateArchive(byte[] base) {
        int kind = random.nextInt(3);
        if (kind == 0) {
            return flipBits(base, null);
        }
        if (kind == 1) {
            int cut = random.nextInt(base.length);
            return new Mutation("archive truncated to " + cut, Arrays.copyOf(base, cut));
        }
        byte[] junk = new byte[1 + random.nextInt(512)];
        random.nextBytes(junk);
        return new Mutation(
                "archive with junk at the start", splice(base, 0, random.nextInt(64), junk));
    }

    private Mutation flipBits(byte[] base, int[][] structure) {
        byte[] out = base.clone();
        int flips = 1 + random.nextInt(8);
        StringBuilder where = new StringBuilder("flip");
        for (int f = 0; f < flips; f++) {
            int at = structuralOffset(base, structure, 1);
            int bit = random.nextInt(8);
            out[at] ^= (byte) (1 << bit);
            where.append(' ').append(at).append(':').append(bit);
        }
        return new Mutation(where.toString(), out);
    }

    /**
     * A random offset, four times in five inside the structure (labels, pickle opcodes and lengths)
     * rather than in pixel bytes, where a change is harmless and teaches nothing.
     */
    private int structuralOffset(byte[] base, int[][] structure, int width) {
        int limit = Math.max(1, base.length - width + 1);
        if (structure == null || random.nextInt(5) == 0) {
            return random.nextInt(limit);
        }
        int[] range = structure[random.nextInt(structure.length)];
        int at = range[0] + random.nextInt(Math.max(1, range[1] - range[0]));
        return Math.min(at, limit - 1);
    }

    /** The two label bytes at the start of every binary record. */
    private static int[][] recordLabels(int records) {
        int[][] ranges = new int[records][];
        for (int r = 0; r < records; r++) {
            ranges[r] = new int[] {r * Cifar100.RECORD_BYTES, r * Cifar100.RECORD_BYTES + 2};
        }
        return ranges;
    }

    /** Everything of a pickled split except the raw pixel bytes of its one large BINSTRING. */
    private static int[][] outsidePixels(byte[] pickle, int images) {
        int pixels = images * Cifar100.IMAGE_BYTES;
        for (int at = 0; at + 5 < pickle.length; at++) {
            if (pickle[at] == 'T'
                    && (pickle[at + 1] & 0xFF | (pickle[at + 2] & 0xFF) << 8
                                    | (pickle[at + 3] & 0xFF) << 16
                                    | (pickle[at + 4] & 0xFF) << 24)
                            == pixels) {
                int start = at + 5;
                return new int[][] {{0, start}, {start + pixels, pickle.length}};
            }
        }
        throw new IllegalStateException("no pixel BINSTRING in the pickle");
    }

    private static byte[] splice(byte[] base, int at, int remove, byte[] insert) {
        int cut = Math.min(remove, base.length - at);
        byte[] out = new byte[base.length - cut + insert.length];
        System.arraycopy(base, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(base, at + cut, out, at + insert.length, base.length - at - cut);
        return out;
    }

    private static String report(String layout, int index, Part part, Mutation m, Throwable t) {
        String input =
                m.bytes().length <= 8192
                        ? Base64.getEncoder().encodeToString(m.bytes())
                        : m.bytes().length + " bytes";
        List<String> what = new ArrayList<>();
        what.add(layout + " case " + index);
        what.add(part == null ? "archive" : part.name());
        what.add(m.description());
        return String.join(", ", what) + " threw " + t + "; input: " + input;
    }
}
