package org.care4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Feeds each parser 10,000 mutated inputs (bit flips, truncations, tampered length fields, edits of the
 * header text, appended junk) from a fixed seed. Every input must end in a parsed result that is consistent
 * with its own header, or in a {@link MalformedFileException} (the documented {@link IOException} that names
 * the file) or an {@link IllegalArgumentException}; any other exception, a hang or an out-of-memory error
 * fails the test and names the case and its input, so it can be replayed. The budget, 20 s per parser
 * (60 s for all three), is twice what 10,000 cases took on a busy two-core machine (2 to 10 s).
 */
class ParserFuzzTest {

    // -Dcare.fuzz.cases and -Dcare.fuzz.seed run a longer or different campaign by hand.
    private static final int CASES = Integer.getInteger("care.fuzz.cases", 10_000);
    private static final long SEED = Long.getLong("care.fuzz.seed", 20_240_611L);
    private static final Duration BUDGET = Duration.ofMillis(2L * CASES);

    private static final String[] DTYPES = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL",
        "U16", "U32", "U64", "F8_E4M3", "", "f32", "F32 "};
    private static final String[] NUMBERS = {"0", "1", "-1", "3", "7", "8", "24", "1e3", "2.5", "4294967296",
        "9223372036854775807", "9223372036854775808", "18446744073709551616", "4611686018427387904",
        "99999999999999999999999", "100000000"};
    private static final String[] JSON_TOKENS = {"{", "}", "[", "]", "\"", ",", ":", "null", "true", "-",
        "\"__metadata__\":{},", "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},", "\\u0000", "\uffff"};
    private static final String[] DESCRS = {"'<f4'", "'>f8'", "'|b1'", "'|u1'", "'<i8'", "'|O'", "'<c16'", "'<U3'",
        "'|f4'", "'=i4'", "'f4'", "'<f2'", "'>u4'", "''", "[('a', '<f4')]", "'<O8'"};
    private static final String[] SHAPES = {"()", "(0,)", "(3)", "(2, 3)", "(-1,)", "(99999999999,)",
        "(4294967296, 4294967296)", "(268435456,)", "(1L, 2L)", "(2, 3, 2)", "(1,,)", "(,)", "(01,)", "[2, 3]"};
    private static final String[] NPY_TOKENS = {"{", "}", "(", ")", "'", "\"", ",", ":", "True", "False", "None",
        "'descr': '<f4', ", "'shape': (1,), ", "\\", "\n", "\u00e9"};
    private static final String PUNCTUATION = "{}[]()\"':,0123456789-. ";
    private static final long[] LENGTHS = {0, 1, 7, 8, 255, 65535, 65536, 100_000_000, 100_000_001,
        Integer.MAX_VALUE, 0xFFFF_FFFFL, Long.MAX_VALUE, -1, -8, 1L << 40};

    @TempDir
    Path dir;

    private final Random random = new Random(SEED);

    @Test
    void safetensorsParserSurvivesMutatedFiles() throws IOException {
        List<byte[]> bases = List.of(
                safetensorsBase(false),
                Files.readAllBytes(writeSafetensors("plain.safetensors",
                        new SafeTensorsWriter().add("w", new long[] {2, 2}, new float[] {1, 2, 3, 4}))),
                safetensorsBase(true));
        int[] outcomes = new int[2];
        assertTimeoutPreemptively(BUDGET, () -> {
            for (int i = 0; i < CASES; i++) {
                // The base with a 1.2 MB tensor exercises the mapped path; it is rare because it is big.
                byte[] base = bases.get(i % 200 == 0 ? 2 : random.nextInt(2));
                Mutation m = mutateSafetensors(base);
                Path file = dir.resolve("case" + i + ".safetensors");
                Files.write(file, m.bytes);
                try {
                    try (SafeTensors st = SafeTensors.open(file)) {
                        for (String name : st.names()) {
                            TensorInfo info = st.info(name);
                            assertEquals(info.elements(), st.doubles(name).length, name);
                            if (!info.dtype().isFloatingPoint()) {
                                assertEquals(info.elements(), st.longs(name).length, name);
                            }
                        }
                        st.metadata().forEach((k, v) -> assertTrue(k != null && v != null));
                    }
                    outcomes[0]++;
                } catch (MalformedFileException | IllegalArgumentException e) {
                    outcomes[1]++;
                } catch (Throwable t) {
                    fail(report("safetensors", i, m, t), t);
                } finally {
                    Files.delete(file);
                }
            }
        });
        assertMixed(outcomes);
    }

    @Test
    void npyParserSurvivesMutatedStreamsAndFiles() throws IOException {
        List<byte[]> bases = npyBases();
        int[] outcomes = new int[2];
        assertTimeoutPreemptively(BUDGET, () -> {
            for (int i = 0; i < CASES; i++) {
                Mutation m = mutateNpy(bases.get(random.nextInt(bases.size())));
                boolean asFile = random.nextBoolean();
                try {
                    NpyArray array;
                    if (asFile) {
                        Path file = Files.write(dir.resolve("case.npy"), m.bytes);
                        array = NpyArray.read(file);
                    } else {
                        array = NpyArray.read(new ByteArrayInputStream(m.bytes), "case" + i);
                    }
                    exercise(array);
                    outcomes[0]++;
                } catch (MalformedFileException | IllegalArgumentException e) {
                    outcomes[1]++;
                } catch (Throwable t) {
                    fail(report("npy", i, m, t), t);
                }
            }
        });
        assertMixed(outcomes);
    }

    @Test
    void npzReaderSurvivesMutatedArchives() throws IOException {
        List<byte[]> npys = npyBases();
        byte[] pair = NpzTest.zip(List.of("a.npy", "b.npy"), List.of(npys.get(0), npys.get(1)), List.of(true, false));
        byte[] single = NpzTest.zip(List.of("c.npy"), List.of(npys.get(2)), List.of(true));
        int[] outcomes = new int[2];
        assertTimeoutPreemptively(BUDGET, () -> {
            for (int i = 0; i < CASES; i++) {
                Mutation m;
                if (random.nextInt(4) == 0) {
                    // A well-formed archive around a broken array tests the entry path, not the zip parser.
                    Mutation inner = mutateNpy(npys.get(random.nextInt(npys.size())));
                    m = new Mutation("zip of npy " + inner.description,
                            NpzTest.zip(List.of("x.npy"), List.of(inner.bytes), List.of(random.nextBoolean())));
                } else {
                    m = mutateZip(random.nextBoolean() ? pair : single);
                }
                Path file = dir.resolve("case" + i + ".npz");
                Files.write(file, m.bytes);
                try {
                    try (Npz npz = Npz.open(file)) {
                        for (String name : npz.names()) {
                            exercise(npz.get(name));
                        }
                    }
                    outcomes[0]++;
                } catch (MalformedFileException | IllegalArgumentException e) {
                    outcomes[1]++;
                } catch (Throwable t) {
                    fail(report("npz", i, m, t), t);
                } finally {
                    Files.delete(file);
                }
            }
        });
        assertMixed(outcomes);
    }

    private record Mutation(String description, byte[] bytes) {}

    // ---- safetensors ----

    private byte[] safetensorsBase(boolean withLargeTensor) throws IOException {
        SafeTensorsWriter writer = new SafeTensorsWriter()
                .metadata("format", "pt")
                .metadata("note", "fuzz base")
                .add("w", new long[] {2, 3}, new float[] {1, -2, 3, 0.5f, Float.NaN, -0f})
                .addRaw("h", DType.F16, new long[] {4}, SafeTensorsTest.le(2, 0x3C00, 0xC100, 0x7BFF, 0x0001))
                .addRaw("b", DType.BF16, new long[] {2, 2}, SafeTensorsTest.le(2, 0x3F80, 0xC020, 0x7F80, 0x0001))
                .add("labels", new long[] {3}, new long[] {6, 4, 3})
                .addRaw("mask", DType.BOOL, new long[] {5}, new byte[] {1, 0, 1, 1, 0})
                .addRaw("none", DType.U8, new long[] {0}, new byte[0])
                .add("loss", new long[] {}, new double[] {93.1665})
                .addRaw("i", DType.I32, new long[] {2}, SafeTensorsTest.le(4, -1, 7));
        if (withLargeTensor) {
            writer.add("big", new long[] {300_000}, new float[300_000]);
        }
        return Files.readAllBytes(writeSafetensors("base.safetensors", writer));
    }

    private Path writeSafetensors(String name, SafeTensorsWriter writer) throws IOException {
        Path file = dir.resolve(name);
        writer.write(file);
        return file;
    }

    private Mutation mutateSafetensors(byte[] base) {
        int headerLength = (int) (base[0] & 0xFF | (base[1] & 0xFF) << 8 | (base[2] & 0xFF) << 16);
        int kind = random.nextInt(100);
        if (kind < 20) {
            return flipBits(base, 8 + headerLength);
        }
        if (kind < 30) {
            int cut = random.nextInt(base.length);
            return new Mutation("truncate to " + cut, Arrays.copyOf(base, cut));
        }
        if (kind < 42) {
            long length = random.nextBoolean() ? LENGTHS[random.nextInt(LENGTHS.length)]
                    : headerLength + random.nextInt(33) - 16;
            byte[] out = base.clone();
            System.arraycopy(SafeTensorsTest.le(8, length), 0, out, 0, 8);
            return new Mutation("header length " + length, out);
        }
        if (kind < 47) {
            byte[] junk = new byte[1 + random.nextInt(64)];
            random.nextBytes(junk);
            return new Mutation("append " + junk.length, SafeTensorsTest.concat(base, junk));
        }
        if (kind < 57) {
            // Random tensor bytes leave the header valid and send NaN payloads, subnormals and extremes through
            // every conversion.
            byte[] out = base.clone();
            byte[] noise = new byte[out.length - 8 - headerLength];
            random.nextBytes(noise);
            System.arraycopy(noise, 0, out, 8 + headerLength, noise.length);
            return new Mutation("random data", out);
        }
        // Edit the JSON text, then (usually) fix the length field so the edit reaches the JSON parser.
        String json = new String(base, 8, headerLength, StandardCharsets.ISO_8859_1);
        StringBuilder description = new StringBuilder("json");
        int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits; e++) {
            json = editText(json, description, DTYPE_PATTERN, DTYPES, NUMBER_PATTERN, NUMBERS, JSON_TOKENS);
        }
        byte[] header = json.getBytes(StandardCharsets.ISO_8859_1);
        boolean fixLength = random.nextInt(10) != 0;
        long length = fixLength ? header.length : headerLength;
        byte[] data = Arrays.copyOfRange(base, 8 + headerLength, base.length);
        description.append(fixLength ? "" : " (stale length)");
        byte[] out = SafeTensorsTest.concat(SafeTensorsTest.le(8, length), header, data);
        return new Mutation(description.toString(), out);
    }

    private static final Pattern DTYPE_PATTERN = Pattern.compile("\"(F64|F32|F16|BF16|I64|I32|I8|U8|BOOL)\"");
    private static final Pattern NUMBER_PATTERN = Pattern.compile("\\d+");

    // ---- npy and npz ----

    private static List<byte[]> npyBases() {
        List<byte[]> bases = new ArrayList<>();
        bases.add(NpyWriter.encode("<f4", new long[] {2, 3}, false, new byte[24]));
        bases.add(NpyWriter.encode(">i8", new long[] {2, 2}, true, SafeTensorsTest.le(8, 1, 2, 3, 4)));
        bases.add(NpyWriter.encode("|b1", new long[] {5}, false, new byte[] {1, 0, 1, 0, 1}));
        bases.add(NpyWriter.encode("<f2", new long[] {}, false, new byte[] {0, 0x3C}));
        bases.add(NpyWriter.encode("|u1", new long[] {0}, false, new byte[0]));
        bases.add(NpyWriter.encode("<i4", new long[] {2, 3, 2}, true, new byte[48]));
        bases.add(NpyArrayTest.raw(2, "{'descr': '<u2', 'fortran_order': False, 'shape': (3, 1), }", new byte[6]));
        bases.add(NpyArrayTest.raw(3, "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", new byte[16]));
        return bases;
    }

    private Mutation mutateNpy(byte[] base) {
        int major = base[6];
        int prefix = major == 1 ? 10 : 12;
        int headerLength = major == 1 ? (base[8] & 0xFF | (base[9] & 0xFF) << 8)
                : (base[8] & 0xFF | (base[9] & 0xFF) << 8 | (base[10] & 0xFF) << 16);
        int kind = random.nextInt(100);
        if (kind < 20) {
            return flipBits(base, prefix + headerLength);
        }
        if (kind < 30) {
            int cut = random.nextInt(base.length);
            return new Mutation("truncate to " + cut, Arrays.copyOf(base, cut));
        }
        if (kind < 40) {
            long length = random.nextBoolean() ? LENGTHS[random.nextInt(LENGTHS.length)]
                    : headerLength + random.nextInt(33) - 16;
            byte[] out = base.clone();
            System.arraycopy(SafeTensorsTest.le(prefix - 8, length), 0, out, 8, prefix - 8);
            return new Mutation("header length " + length, out);
        }
        if (kind < 45) {
            byte[] junk = new byte[1 + random.nextInt(64)];
            random.nextBytes(junk);
            return new Mutation("append " + junk.length, SafeTensorsTest.concat(base, junk));
        }
        String text = new String(base, prefix, headerLength, StandardCharsets.ISO_8859_1);
        StringBuilder description = new StringBuilder("header");
        int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits; e++) {
            text = editText(text, description, DESCR_PATTERN, DESCRS, SHAPE_PATTERN, SHAPES, NPY_TOKENS);
        }
        byte[] header = text.getBytes(StandardCharsets.ISO_8859_1);
        boolean fixLength = random.nextInt(10) != 0;
        long length = fixLength ? header.length : headerLength;
        byte[] data = Arrays.copyOfRange(base, prefix + headerLength, base.length);
        return new Mutation(description + (fixLength ? "" : " (stale length)"), SafeTensorsTest.concat(
                Arrays.copyOf(base, 8), SafeTensorsTest.le(prefix - 8, length), header, data));
    }

    private static final Pattern DESCR_PATTERN = Pattern.compile("'[<>|=]?[a-zA-Z]\\d*'");
    private static final Pattern SHAPE_PATTERN = Pattern.compile("\\([^)]*\\)");

    private Mutation mutateZip(byte[] base) {
        int kind = random.nextInt(100);
        if (kind < 45) {
            return flipBits(base, base.length);
        }
        if (kind < 60) {
            int cut = random.nextInt(base.length);
            return new Mutation("truncate to " + cut, Arrays.copyOf(base, cut));
        }
        if (kind < 90) {
            // Overwrite a 2- or 4-byte field: zip sizes, offsets, counts and name lengths all live in such fields.
            int width = random.nextBoolean() ? 2 : 4;
            int at = random.nextInt(base.length - width + 1);
            long value = random.nextBoolean() ? LENGTHS[random.nextInt(LENGTHS.length)] : random.nextInt(1 << 16);
            byte[] out = base.clone();
            System.arraycopy(SafeTensorsTest.le(width, value), 0, out, at, width);
            return new Mutation("field@" + at + "=" + value, out);
        }
        byte[] junk = new byte[1 + random.nextInt(64)];
        random.nextBytes(junk);
        return random.nextBoolean()
                ? new Mutation("append " + junk.length, SafeTensorsTest.concat(base, junk))
                : new Mutation("prepend " + junk.length, SafeTensorsTest.concat(junk, base));
    }

    private static void exercise(NpyArray array) {
        assertEquals(array.elements(), array.doubles().length);
        assertEquals(array.elements(), array.floats().length);
        if (!array.dtype().isFloatingPoint()) {
            assertEquals(array.elements(), array.longs().length);
        }
        if (array.dtype() == DType.BOOL) {
            assertEquals(array.elements(), array.booleans().length);
        }
        if (array.dtype().bytes() == 1) {
            assertEquals(array.elements(), array.bytes().length);
        }
    }

    // ---- shared mutation operators ----

    private Mutation flipBits(byte[] base, int hotRegion) {
        byte[] out = base.clone();
        int flips = 1 + random.nextInt(8);
        StringBuilder where = new StringBuilder("flip");
        for (int f = 0; f < flips; f++) {
            int limit = random.nextInt(5) != 0 && hotRegion > 0 ? Math.min(hotRegion, out.length) : out.length;
            int at = random.nextInt(limit);
            int bit = random.nextInt(8);
            out[at] ^= (byte) (1 << bit);
            where.append(' ').append(at).append(':').append(bit);
        }
        return new Mutation(where.toString(), out);
    }

    /** One random edit of header text: a character, a span, a typed token, or an inserted fragment. */
    private String editText(String text, StringBuilder description, Pattern typePattern, String[] types,
            Pattern numberPattern, String[] numbers, String[] tokens) {
        if (text.isEmpty()) {
            return tokens[random.nextInt(tokens.length)];
        }
        int at = random.nextInt(text.length());
        switch (random.nextInt(6)) {
            case 0 -> {
                char c = (char) (random.nextBoolean() ? random.nextInt(256)
                        : PUNCTUATION.charAt(random.nextInt(PUNCTUATION.length())));
                description.append(" set@").append(at);
                return text.substring(0, at) + c + text.substring(at + 1);
            }
            case 1 -> {
                int end = Math.min(text.length(), at + 1 + random.nextInt(10));
                description.append(" delete@").append(at).append('-').append(end);
                return text.substring(0, at) + text.substring(end);
            }
            case 2 -> {
                int end = Math.min(text.length(), at + 1 + random.nextInt(20));
                int to = random.nextInt(text.length() + 1);
                description.append(" copy@").append(at).append("->").append(to);
                return text.substring(0, to) + text.substring(at, end) + text.substring(to);
            }
            case 3 -> {
                return replaceMatch(text, typePattern, types, description);
            }
            case 4 -> {
                return replaceMatch(text, numberPattern, numbers, description);
            }
            default -> {
                String token = tokens[random.nextInt(tokens.length)];
                description.append(" insert@").append(at);
                return text.substring(0, at) + token + text.substring(at);
            }
        }
    }

    private String replaceMatch(String text, Pattern pattern, String[] replacements, StringBuilder description) {
        List<int[]> spans = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            spans.add(new int[] {m.start(), m.end()});
        }
        if (spans.isEmpty()) {
            return text;
        }
        int[] span = spans.get(random.nextInt(spans.size()));
        String replacement = replacements[random.nextInt(replacements.length)];
        if (pattern == DTYPE_PATTERN) {
            replacement = "\"" + replacement + "\"";
        }
        description.append(" replace@").append(span[0]).append('=').append(replacement);
        return text.substring(0, span[0]) + replacement + text.substring(span[1]);
    }

    private static void assertMixed(int[] outcomes) {
        assertEquals(CASES, outcomes[0] + outcomes[1]);
        // Both paths must be well exercised, or the mutations are too gentle or too destructive to mean much.
        assertTrue(outcomes[0] > CASES / 50, "only " + outcomes[0] + " inputs parsed");
        assertTrue(outcomes[1] > CASES / 2, "only " + outcomes[1] + " inputs rejected");
    }

    private static String report(String parser, int index, Mutation m, Throwable t) {
        String input = m.bytes.length <= 4096 ? Base64.getEncoder().encodeToString(m.bytes) : m.bytes.length + " bytes";
        return parser + " case " + index + " (" + m.description + ") threw " + t + "; input: " + input;
    }
}
