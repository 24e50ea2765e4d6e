package org.care4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {

    @TempDir
    Path dir;

    @Test
    void roundTripsTypedArraysWithShapesNamesAndMetadata() throws IOException {
        Path file = dir.resolve("typed.safetensors");
        new SafeTensorsWriter()
                .metadata("format", "pt")
                .metadata("seed", "7")
                .add("w", new long[] {2, 3}, new float[] {1f, -2.5f, 0.1f, 3e38f, -0f, 1e-45f})
                .add("d", new long[] {3}, new double[] {Math.PI, -1e300, 5e-324})
                .add("labels", new long[] {2, 2}, new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE})
                .add("scalar", new long[] {}, new double[] {93.1665})
                .add("empty", new long[] {0, 4}, new float[0])
                .write(file);

        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(List.of("w", "d", "labels", "scalar", "empty"), st.names());
            assertEquals(Map.of("format", "pt", "seed", "7"), st.metadata());
            assertEquals(new TensorInfo("w", DType.F32, new long[] {2, 3}, 0, 24), st.info("w"));
            assertArrayEquals(new float[] {1f, -2.5f, 0.1f, 3e38f, -0f, 1e-45f}, st.floats("w"));
            assertArrayEquals(new double[] {Math.PI, -1e300, 5e-324}, st.doubles("d"));
            // F32 widens to double exactly, F64 narrows to float by rounding.
            assertEquals((double) 0.1f, st.doubles("w")[2]);
            assertArrayEquals(new float[] {(float) Math.PI, Float.NEGATIVE_INFINITY, 0f}, st.floats("d"));
            assertArrayEquals(new long[] {Long.MIN_VALUE, -1, 0, Long.MAX_VALUE}, st.longs("labels"));
            assertEquals(DType.I64, st.info("labels").dtype());
            assertArrayEquals(new long[] {}, st.info("scalar").shape());
            assertEquals(1, st.info("scalar").elements());
            assertArrayEquals(new double[] {93.1665}, st.doubles("scalar"));
            assertEquals(0, st.info("empty").elements());
            assertEquals(0, st.floats("empty").length);
            assertTrue(st.contains("d"));
            assertFalse(st.contains("missing"));
        }
    }

    @Test
    void roundTripsEveryIntegerAndBooleanTypeFromRawBytes() throws IOException {
        Path file = dir.resolve("raw.safetensors");
        new SafeTensorsWriter()
                .addRaw("i32", DType.I32, new long[] {2}, le(4, 0x8000_0000L, 0x7FFF_FFFFL))
                .addRaw("i16", DType.I16, new long[] {2}, le(2, 0x8000, 0x7FFF))
                .addRaw("i8", DType.I8, new long[] {3}, new byte[] {-128, 127, -1})
                .addRaw("u8", DType.U8, new long[] {3}, new byte[] {(byte) 255, 0, (byte) 128})
                .addRaw("u16", DType.U16, new long[] {1}, le(2, 0xFFFF))
                .addRaw("u32", DType.U32, new long[] {1}, le(4, 0xFFFF_FFFFL))
                .addRaw("bool", DType.BOOL, new long[] {4}, new byte[] {0, 1, 1, 0})
                .write(file);

        try (SafeTensors st = SafeTensors.open(file)) {
            assertArrayEquals(new long[] {Integer.MIN_VALUE, Integer.MAX_VALUE}, st.longs("i32"));
            assertArrayEquals(new long[] {-32768, 32767}, st.longs("i16"));
            assertArrayEquals(new long[] {-128, 127, -1}, st.longs("i8"));
            assertArrayEquals(new long[] {255, 0, 128}, st.longs("u8"));
            assertArrayEquals(new long[] {65535}, st.longs("u16"));
            assertArrayEquals(new long[] {4294967295L}, st.longs("u32"));
            assertArrayEquals(new long[] {0, 1, 1, 0}, st.longs("bool"));
            assertArrayEquals(new float[] {255f, 0f, 128f}, st.floats("u8"));
            assertArrayEquals(new double[] {4294967295.0}, st.doubles("u32"));
        }
    }

    @Test
    void widensFloat16BitPatternsExactly() throws IOException {
        int[] bits = {0x3C00, 0xC100, 0x7BFF, 0x0001, 0x03FF, 0x0400, 0x8000, 0x7C00, 0xFC00, 0x3555, 0x7E00};
        float[] expected = {1f, -2.5f, 65504f, 0x1p-24f, 1023 * 0x1p-24f, 0x1p-14f, -0f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0.333251953125f, Float.NaN};
        Path file = dir.resolve("f16.safetensors");
        new SafeTensorsWriter().addRaw("h", DType.F16, new long[] {bits.length}, le(2, toLongs(bits))).write(file);

        try (SafeTensors st = SafeTensors.open(file)) {
            assertBitsEqual(expected, st.floats("h"));
            double[] doubles = st.doubles("h");
            assertEquals(5.960464477539063e-8, doubles[3]);
            assertEquals(65504.0, doubles[2]);
            assertTrue(Double.isNaN(doubles[10]));
            // The NaN keeps its quiet bit and sign, not just "some NaN".
            assertEquals(0x7FC0_0000, Float.floatToRawIntBits(st.floats("h")[10]));
        }
    }

    @Test
    void widensBfloat16BitPatternsExactly() throws IOException {
        int[] bits = {0x3F80, 0xC020, 0x7F7F, 0x0001, 0x8000, 0x7F80, 0xFF80, 0x4049, 0x7FC0};
        float[] expected = {1f, -2.5f, 3.3895313892515355e38f, Float.intBitsToFloat(0x0001_0000), -0f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 3.140625f, Float.NaN};
        Path file = dir.resolve("bf16.safetensors");
        new SafeTensorsWriter().addRaw("b", DType.BF16, new long[] {3, 3}, le(2, toLongs(bits))).write(file);

        try (SafeTensors st = SafeTensors.open(file)) {
            assertBitsEqual(expected, st.floats("b"));
            assertArrayEquals(new long[] {3, 3}, st.info("b").shape());
        }
    }

    @Test
    void readsTensorsLargerThanTheMappingThresholdThroughAMapping() throws IOException {
        float[] big = new float[600_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = i * 0.5f - 7f;
        }
        Path file = dir.resolve("big.safetensors");
        new SafeTensorsWriter().add("small", new long[] {1}, new float[] {42f})
                .add("big", new long[] {600, 1000}, big).write(file);

        try (SafeTensors st = SafeTensors.open(file)) {
            float[] read = st.floats("big");
            assertEquals(-7f, read[0]);
            assertEquals(599_999 * 0.5f - 7f, read[599_999]);
            assertArrayEquals(big, read);
            assertEquals(42.0, st.doubles("small")[0]);
        }
    }

    @Test
    void writerPadsTheHeaderToEightBytesAndReplacesTheTargetWithoutLeavingTemporaries() throws IOException {
        Path file = dir.resolve("model.safetensors");
        new SafeTensorsWriter().add("a", new long[] {1}, new float[] {1f}).write(file);
        new SafeTensorsWriter().add("b", new long[] {2}, new long[] {5, 6}).write(file);

        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertEquals(0, headerLength % 8);
        assertEquals(8 + headerLength + 16, bytes.length);
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(List.of("b"), st.names());
            assertArrayEquals(new long[] {5, 6}, st.longs("b"));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    @Test
    void writerRefusesDataThatDisagreesWithTheShapeAndDuplicateNames() {
        SafeTensorsWriter writer = new SafeTensorsWriter().add("a", new long[] {2}, new float[] {1f, 2f});
        IllegalArgumentException wrongLength = assertThrows(IllegalArgumentException.class,
                () -> writer.add("b", new long[] {2, 2}, new float[] {1f}));
        assertEquals("tensor 'b' shape [2, 2] of F32 needs 16 bytes but the data has 4", wrongLength.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class,
                () -> writer.add("a", new long[] {1}, new long[] {1}));
        assertEquals("tensor 'a' added twice", twice.getMessage());
        assertThrows(IllegalArgumentException.class, () -> writer.add("__metadata__", new long[] {}, new float[1]));
    }

    @Test
    void refusesReadingFloatsAsIntegersAndUnknownNames() throws IOException {
        Path file = dir.resolve("w.safetensors");
        new SafeTensorsWriter().add("w", new long[] {1}, new float[] {1.5f}).write(file);

        try (SafeTensors st = SafeTensors.open(file)) {
            IllegalArgumentException asLongs = assertThrows(IllegalArgumentException.class, () -> st.longs("w"));
            assertEquals(file + ": tensor 'w' is F32 and cannot be read as integers", asLongs.getMessage());
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> st.info("nope"));
            assertTrue(missing.getMessage().startsWith(file + ": no tensor 'nope'"), missing.getMessage());
        }
    }

    // ---- rejections: each message names the file, the tensor where there is one, and the problem ----

    @Test
    void rejectsTruncatedFile() throws IOException {
        Path good = dir.resolve("good.safetensors");
        new SafeTensorsWriter().add("a", new long[] {4}, new float[4]).add("b", new long[] {8}, new float[8])
                .write(good);
        byte[] bytes = Files.readAllBytes(good);
        Path file = write("truncated.safetensors", Arrays.copyOf(bytes, bytes.length - 10));

        assertRejected(file, "tensor 'b' data_offsets [16, 48) exceed data section of 38 bytes");
        assertRejected(write("tiny.safetensors", new byte[] {1, 0, 0}),
                "file is 3 bytes, too short for the 8-byte header length");
    }

    @Test
    void rejectsAbsurdHeaderLengthBeforeAllocating() throws IOException {
        assertRejected(withHeaderLength(1L << 40, "{}"), "header length 1099511627776 exceeds the limit of 100000000");
        assertRejected(withHeaderLength(-1L, "{}"), "header length 18446744073709551615 exceeds the limit");
    }

    @Test
    void rejectsHeaderLengthLargerThanTheFile() throws IOException {
        assertRejected(withHeaderLength(500, "{}"), "header length 500 exceeds the 2 bytes that follow it");
    }

    @Test
    void rejectsOffsetsBeyondTheDataSection() throws IOException {
        Path file = craft("{\"blocks.0.attn.qkv.weight\":{\"dtype\":\"F32\",\"shape\":[256],"
                + "\"data_offsets\":[0,1024]}}", 512);
        assertRejected(file, "tensor 'blocks.0.attn.qkv.weight' data_offsets [0, 1024) exceed data section of 512"
                + " bytes");
    }

    @Test
    void rejectsUnknownDtypeString() throws IOException {
        Path file = craft("{\"w\":{\"dtype\":\"F33\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
        assertRejected(file, "tensor 'w' has unsupported dtype 'F33'");
    }

    @Test
    void rejectsShapeThatDisagreesWithOffsets() throws IOException {
        Path file = craft("{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", 20);
        assertRejected(file, "tensor 'w' shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 20) span 20");
    }

    @Test
    void rejectsOverlapsGapsAndUncoveredData() throws IOException {
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
                "tensor 'b' data_offsets [4, 12) overlap tensor 'a' [0, 8)");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8),
                "tensor 'a' data_offsets [4, 8) leave bytes [0, 4) of the data section unused");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8),
                "data section has 8 bytes but the tensors cover only 4");
    }

    @Test
    void rejectsMalformedJsonAndFields() throws IOException {
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",", 0), "header is not valid JSON");
        assertRejected(craft("[1,2]", 0), "header is not a JSON object");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "Duplicate field 'a'");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4),
                "tensor 'a' shape[0] = -1 is not a non-negative integer");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", 4),
                "tensor 'a' shape[0] = 1.0 is not a non-negative integer");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4),
                "tensor 'a' data_offsets has 1 entries instead of 2");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4),
                "tensor 'a' has unknown field 'x'");
        assertRejected(craft("{\"__metadata__\":{\"k\":1}}", 0), "__metadata__ value of 'k' is not a string");
        assertRejected(craft("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4294967296],"
                + "\"data_offsets\":[0,4]}}", 4), "has more elements than a long can count");
    }

    @Test
    void rejectsDeeplyNestedJsonWithoutExhaustingTheStack() throws IOException {
        String nested = "{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        assertRejected(craft(nested, 0), "header is not valid JSON");
    }

    private Path craft(String json, int dataBytes) throws IOException {
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        return write("crafted.safetensors", concat(le(8, header.length), header, new byte[dataBytes]));
    }

    private Path withHeaderLength(long length, String json) throws IOException {
        return write("lying.safetensors", concat(le(8, length), json.getBytes(StandardCharsets.UTF_8)));
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private static void assertRejected(Path file, String fragment) {
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> SafeTensors.open(file).close());
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
    }

    private static void assertBitsEqual(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i])) {
                assertTrue(Float.isNaN(actual[i]), "element " + i + " should be NaN, was " + actual[i]);
            } else {
                assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]),
                        "element " + i + ": expected " + expected[i] + ", was " + actual[i]);
            }
        }
    }

    private static long[] toLongs(int[] values) {
        return Arrays.stream(values).asLongStream().toArray();
    }

    /** Each value as {@code width} little-endian bytes. */
    static byte[] le(int width, long... values) {
        byte[] out = new byte[width * values.length];
        for (int i = 0; i < values.length; i++) {
            for (int b = 0; b < width; b++) {
                out[i * width + b] = (byte) (values[i] >>> (8 * b));
            }
        }
        return out;
    }

    static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }
}
