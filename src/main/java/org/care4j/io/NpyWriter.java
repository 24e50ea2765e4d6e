package org.care4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes one array in the {@code .npy} format as NumPy does: format version 1.0 (2.0 if the header needs more
 * than 65,535 bytes), the header dictionary padded with spaces and a newline so the data starts at a multiple
 * of 64 bytes, then the raw bytes exactly as given. Meant for tests and fixtures; the descriptor and the data
 * length are checked, the bytes are not interpreted.
 */
public final class NpyWriter {

    private static final int ALIGNMENT = 64;

    private NpyWriter() {}

    /**
     * Writes {@code rawData} under a header of {@code descr}, {@code shape} and {@code fortran}.
     *
     * @param descr a supported descriptor such as {@code "<f4"}, {@code ">i2"} or {@code "|b1"}
     * @param rawData the elements in the descriptor's byte order, in Fortran order if {@code fortran}
     * @throws IllegalArgumentException if the descriptor is unsupported or the data length is not elements
     *     times element size
     */
    public static void write(Path file, String descr, long[] shape, boolean fortran, byte[] rawData)
            throws IOException {
        Files.write(file, encode(descr, shape, fortran, rawData));
    }

    /** The bytes {@link #write} would write. */
    public static byte[] encode(String descr, long[] shape, boolean fortran, byte[] rawData) {
        NpyHeader header = NpyHeader.of(descr, shape, fortran);
        long expected = Math.multiplyExact(header.elements(), header.dtype().bytes());
        if (expected != rawData.length) {
            throw new IllegalArgumentException("shape " + NpyHeader.formatShape(shape) + " of '" + descr
                    + "' needs " + expected + " bytes but the data has " + rawData.length);
        }
        byte[] dict = header.format().getBytes(StandardCharsets.ISO_8859_1);
        int major = dict.length + 1 + 10 + ALIGNMENT > 0xFFFF ? 2 : 1;
        int prefix = 8 + (major == 1 ? 2 : 4);
        int headerLength = (prefix + dict.length + 1 + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT - prefix;

        ByteBuffer out = ByteBuffer.allocate(prefix + headerLength + rawData.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            out.putShort((short) headerLength);
        } else {
            out.putInt(headerLength);
        }
        out.put(dict);
        for (int i = dict.length; i < headerLength - 1; i++) {
            out.put((byte) ' ');
        }
        out.put((byte) '\n');
        out.put(rawData);
        return out.array();
    }
}
