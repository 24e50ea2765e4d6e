package org.care4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyArrayTest {

    @TempDir
    Path dir;

    @Test
    void writesTheSameBytesAsNumpy() {
        byte[] data = new byte[24];
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(new float[] {0, 1, 2, 3, 4, 5});
        byte[] file = NpyWriter.encode("<f4", new long[] {2, 3}, false, data);

        // numpy.save(np.arange(6, dtype='<f4').reshape(2, 3)) writes 152 bytes: 128 of header, 24 of data.
        assertEquals(152, file.length);
        String header = new String(file, 10, 118, StandardCharsets.ISO_8859_1);
        assertTrue(header.startsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }   "), header);
        assertTrue(header.endsWith(" \n"));
        assertArrayEquals(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 118, 0}, Arrays.copyOf(file, 10));
    }

    @Test
    void readsLittleAndBigEndianNumbersToTheSameValues() throws IOException {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
            char o = order == ByteOrder.LITTLE_ENDIAN ? '<' : '>';
            ByteBuffer f4 = ByteBuffer.allocate(12).order(order);
            f4.asFloatBuffer().put(new float[] {1.5f, -0f, Float.MIN_VALUE});
            assertArrayEquals(new float[] {1.5f, -0f, Float.MIN_VALUE},
                    read(o + "f4", new long[] {3}, f4.array()).floats());

            ByteBuffer f8 = ByteBuffer.allocate(16).order(order);
            f8.asDoubleBuffer().put(new double[] {Math.E, -1e300});
            assertArrayEquals(new double[] {Math.E, -1e300}, read(o + "f8", new long[] {2}, f8.array()).doubles());

            ByteBuffer i8 = ByteBuffer.allocate(16).order(order);
            i8.asLongBuffer().put(new long[] {Long.MIN_VALUE, 964});
            assertArrayEquals(new long[] {Long.MIN_VALUE, 964}, read(o + "i8", new long[] {2}, i8.array()).longs());

            ByteBuffer i4 = ByteBuffer.allocate(8).order(order);
            i4.asIntBuffer().put(new int[] {-7, Integer.MAX_VALUE});
            assertArrayEquals(new long[] {-7, Integer.MAX_VALUE}, read(o + "i4", new long[] {2}, i4.array()).longs());

            ByteBuffer i2 = ByteBuffer.allocate(4).order(order);
            i2.asShortBuffer().put(new short[] {-300, 300});
            assertArrayEquals(new float[] {-300f, 300f}, read(o + "i2", new long[] {2}, i2.array()).floats());

            ByteBuffer u2 = ByteBuffer.allocate(2).order(order);
            u2.asShortBuffer().put((short) 0xFFFF);
            assertArrayEquals(new long[] {65535}, read(o + "u2", new long[] {1}, u2.array()).longs());

            ByteBuffer u4 = ByteBuffer.allocate(4).order(order);
            u4.asIntBuffer().put(0xFFFF_FFFF);
            assertArrayEquals(new long[] {4294967295L}, read(o + "u4", new long[] {1}, u4.array()).longs());

            ByteBuffer f2 = ByteBuffer.allocate(8).order(order);
            f2.asShortBuffer().put(new short[] {0x3C00, (short) 0xC100, 0x7BFF, 0x0001});
            assertArrayEquals(new float[] {1f, -2.5f, 65504f, 0x1p-24f},
                    read(o + "f2", new long[] {4}, f2.array()).floats());
        }
    }

    @Test
    void readsOneByteTypes() throws IOException {
        NpyArray bool = read("|b1", new long[] {2, 2}, new byte[] {1, 0, 0, 1});
        assertEquals(DType.BOOL, bool.dtype());
        assertArrayEquals(new boolean[] {true, false, false, true}, bool.booleans());
        assertArrayEquals(new byte[] {1, 0, 0, 1}, bool.bytes());
        assertArrayEquals(new long[] {1, 0, 0, 1}, bool.longs());
        assertArrayEquals(new float[] {1f, 0f, 0f, 1f}, bool.floats());
        // NumPy treats any nonzero byte as True; so does the reader, and bytes() reports it as 1.
        NpyArray loose = read("|b1", new long[] {2}, new byte[] {2, (byte) 0x80});
        assertArrayEquals(new byte[] {1, 1}, loose.bytes());
        assertArrayEquals(new boolean[] {true, true}, loose.booleans());

        NpyArray u1 = read("|u1", new long[] {3}, new byte[] {(byte) 200, 0, (byte) 255});
        assertArrayEquals(new long[] {200, 0, 255}, u1.longs());
        assertArrayEquals(new byte[] {(byte) 200, 0, (byte) 255}, u1.bytes());
        assertArrayEquals(new double[] {200, 0, 255}, u1.doubles());

        NpyArray i1 = read("|i1", new long[] {3}, new byte[] {-128, -1, 127});
        assertArrayEquals(new long[] {-128, -1, 127}, i1.longs());
        assertArrayEquals(new float[] {-128f, -1f, 127f}, i1.floats());
    }

    @Test
    void fortranOrderYieldsTheSameCOrderValuesAsCOrder() throws IOException {
        long[] shape = {2, 3, 4};
        byte[] cOrder = new byte[24 * 4];
        byte[] fOrder = new byte[24 * 4];
        ByteBuffer c = ByteBuffer.wrap(cOrder).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer f = ByteBuffer.wrap(fOrder).order(ByteOrder.LITTLE_ENDIAN);
        float[] expected = new float[24];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                for (int k = 0; k < 4; k++) {
                    float value = 100 * i + 10 * j + k;
                    expected[(i * 3 + j) * 4 + k] = value;
                    c.putFloat(4 * ((i * 3 + j) * 4 + k), value);
                    f.putFloat(4 * (i + 2 * (j + 3 * k)), value);
                }
            }
        }
        NpyArray fromC = read("<f4", shape, cOrder);
        NpyArray fromF = read("<f4", shape, fOrder, true);

        assertFalse(fromC.fortranOrder());
        assertTrue(fromF.fortranOrder());
        assertArrayEquals(expected, fromC.floats());
        assertArrayEquals(expected, fromF.floats());
        assertEquals(1f, fromF.floats()[1]);
        assertEquals(10f, fromF.floats()[4]);
        assertEquals(100f, fromF.floats()[12]);
    }

    @Test
    void readsNumpysOwnBigEndianFortranFile() throws IOException {
        // Data bytes of numpy.save(np.asfortranarray(np.arange(24, dtype='>i2').reshape(2, 3, 4))).
        byte[] data = HexFormat.of().parseHex("0000000c00040010000800140001000d00050011000900150002000e0006"
                + "0012000a00160003000f00070013000b0017");
        NpyArray array = read(">i2", new long[] {2, 3, 4}, data, true);

        long[] expected = new long[24];
        Arrays.setAll(expected, i -> i);
        assertArrayEquals(expected, array.longs());
        assertArrayEquals(new long[] {2, 3, 4}, array.shape());
        assertEquals(">i2", array.descr());
    }

    @Test
    void readsFormatVersions2And3AndPython2Headers() throws IOException {
        byte[] data = {1, 0, 0, 0, 2, 0, 0, 0};
        String dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }";
        assertArrayEquals(new long[] {1, 2}, NpyArray.read(in(raw(2, dict, data)), "v2").longs());
        assertArrayEquals(new long[] {1, 2}, NpyArray.read(in(raw(3, dict, data)), "v3").longs());

        String python2 = "{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (1L, 2L)}";
        NpyArray old = NpyArray.read(in(raw(1, python2, data)), "py2");
        assertArrayEquals(new long[] {1, 2}, old.shape());
        assertArrayEquals(new long[] {1, 2}, old.longs());
    }

    @Test
    void readsScalarsAndEmptyArrays() throws IOException {
        NpyArray scalar = read("<f8", new long[] {}, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN)
                .putDouble(0, 93.1665).array());
        assertEquals(1, scalar.elements());
        assertArrayEquals(new double[] {93.1665}, scalar.doubles());

        NpyArray empty = read("<f4", new long[] {0, 5}, new byte[0]);
        assertEquals(0, empty.elements());
        assertEquals(0, empty.floats().length);
    }

    @Test
    void readsConsecutiveArraysFromOneStream() throws IOException {
        byte[] first = NpyWriter.encode("|u1", new long[] {2}, false, new byte[] {5, 6});
        byte[] second = NpyWriter.encode("<i8", new long[] {1}, false, SafeTensorsTest.le(8, 42));
        InputStream in = in(SafeTensorsTest.concat(first, second));

        assertArrayEquals(new long[] {5, 6}, NpyArray.read(in, "pair").longs());
        assertArrayEquals(new long[] {42}, NpyArray.read(in, "pair").longs());
        assertEquals(-1, in.read());
    }

    @Test
    void refusesLossyOrMeaninglessConversions() throws IOException {
        NpyArray floats = read("<f4", new long[] {1}, new byte[4]);
        IllegalStateException asLongs = assertThrows(IllegalStateException.class, floats::longs);
        assertEquals("test.npy: array of '<f4' cannot be read as long values", asLongs.getMessage());
        assertThrows(IllegalStateException.class, floats::bytes);
        assertThrows(IllegalStateException.class, floats::booleans);
        assertThrows(IllegalStateException.class, () -> read("|u1", new long[] {1}, new byte[1]).booleans());
    }

    // ---- rejections: each message names the source and the problem ----

    @Test
    void refusesPickledObjectArrays() {
        String dict = "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }";
        assertRejected(raw(1, dict, new byte[40]), "dtype descr '|O' is a pickled object array; refusing to unpickle");
    }

    @Test
    void refusesUnsupportedDescriptors() {
        assertRejected(raw(1, "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", new byte[16]),
                "unsupported dtype descr '<c16'");
        assertRejected(raw(1, "{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", new byte[12]),
                "unsupported dtype descr '<U3'");
        assertRejected(raw(1, "{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]),
                "dtype descr '|f4' gives no byte order for 4-byte elements");
        assertRejected(raw(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new byte[4]),
                "descr is a list, i.e. a structured dtype");
    }

    @Test
    void refusesTruncatedData() throws IOException {
        byte[] whole = NpyWriter.encode("<f4", new long[] {3, 4}, false, new byte[48]);
        byte[] truncated = Arrays.copyOf(whole, whole.length - 8);
        Path file = Files.write(dir.resolve("truncated.npy"), truncated);

        MalformedFileException fromFile = assertThrows(MalformedFileException.class, () -> NpyArray.read(file));
        assertEquals(file + ": data truncated: shape (3, 4) of '<f4' needs 48 bytes but at most 40 follow the header",
                fromFile.getMessage());
        assertRejected(truncated, "data truncated: shape (3, 4) of '<f4' needs 48 bytes but the input ended after 40");
        assertRejected(Arrays.copyOf(whole, 40), "npy file truncated in its header (30 of 118 bytes)");
        assertRejected(Arrays.copyOf(whole, 5), "npy file truncated within its first 8 bytes");
    }

    @Test
    void refusesTrailingBytesAfterTheDataOfAFile() throws IOException {
        byte[] whole = NpyWriter.encode("<f4", new long[] {2}, false, new byte[8]);
        Path file = Files.write(dir.resolve("trailing.npy"), SafeTensorsTest.concat(whole, new byte[] {0}));
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> NpyArray.read(file));
        assertTrue(e.getMessage().contains("unexpected bytes after the array data"), e.getMessage());
    }

    @Test
    void refusesMalformedHeaders() {
        assertRejected("not numpy at all".getBytes(StandardCharsets.US_ASCII), "not a .npy file");
        byte[] version4 = raw(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", new byte[4]);
        version4[6] = 4;
        assertRejected(version4, "unsupported .npy format version 4.0");
        String[][] cases = {
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (3), }", "shape is a parenthesised integer"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }", "expected a non-negative integer"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}", "unknown key 'x'"},
            {"{'descr': '<f4', 'shape': (1,), }", "missing key 'fortran_order'"},
            {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", "duplicate key 'descr'"},
            {"{'descr': '<f4', 'fortran_order': 0, 'shape': (1,), }", "unsupported value for 'fortran_order'"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': __import__('os'), }", "unsupported value for 'shape'"},
            {"{'descr': '<f4', 'fortran_order': 'no', 'shape': (1,), }", "'fortran_order' must be True or False"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } junk", "unexpected text after the dictionary"},
            {"{'descr': '<f\\x34', 'fortran_order': False, 'shape': (1,), }", "escape sequences"},
            {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", "is too large"},
        };
        for (String[] c : cases) {
            assertRejected(raw(1, c[0], new byte[4]), c[1]);
        }
    }

    @Test
    void refusesShapesLargerThanOneJavaArrayBeforeAllocating() {
        String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (65536, 65536), }";
        assertRejected(raw(1, dict, new byte[8]), "needs 34359738368 bytes, more than one Java array can hold");
        String overflow = "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }";
        assertRejected(raw(1, overflow, new byte[8]), "has more elements than a long can count");
    }

    private NpyArray read(String descr, long[] shape, byte[] data) throws IOException {
        return read(descr, shape, data, false);
    }

    private NpyArray read(String descr, long[] shape, byte[] data, boolean fortran) throws IOException {
        Path file = Files.write(dir.resolve("test.npy"), NpyWriter.encode(descr, shape, fortran, data));
        NpyArray fromFile = NpyArray.read(file);
        NpyArray fromStream = NpyArray.read(in(Files.readAllBytes(file)), "test.npy");
        assertEquals(fromFile.descr(), fromStream.descr());
        assertArrayEquals(fromFile.doubles(), fromStream.doubles());
        return fromStream;
    }

    /** A .npy with an arbitrary header text, padded like NumPy pads it. */
    static byte[] raw(int major, String dict, byte[] data) {
        byte[] text = dict.getBytes(StandardCharsets.UTF_8);
        int prefix = major == 1 ? 10 : 12;
        int headerLength = (prefix + text.length + 1 + 63) / 64 * 64 - prefix;
        byte[] header = Arrays.copyOf(text, headerLength);
        Arrays.fill(header, text.length, headerLength - 1, (byte) ' ');
        header[headerLength - 1] = '\n';
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0};
        return SafeTensorsTest.concat(magic, SafeTensorsTest.le(major == 1 ? 2 : 4, headerLength), header, data);
    }

    private static InputStream in(byte[] bytes) {
        return new ByteArrayInputStream(bytes);
    }

    private static void assertRejected(byte[] npy, String fragment) {
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> NpyArray.read(in(npy), "x.npy"));
        assertTrue(e.getMessage().startsWith("x.npy: "), e.getMessage());
        assertTrue(e.getMessage().contains(fragment), () -> "expected '" + fragment + "' in: " + e.getMessage());
    }
}
