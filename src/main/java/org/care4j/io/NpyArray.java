package org.care4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One NumPy array read from a {@code .npy} stream (format versions 1.0, 2.0 and 3.0).
 *
 * <p>Layout: the magic {@code \x93NUMPY}, two version bytes, a little-endian header length (2 bytes in
 * version 1, 4 bytes after), the header dictionary (see {@code NpyHeader}: dtype descriptor, Fortran flag,
 * shape), then the raw elements. Supported descriptors: {@code b1 u1 u2 u4 i1 i2 i4 i8 f2 f4 f8} in little
 * ({@code <}), big ({@code >}) or no ({@code |}, one-byte types) byte order. Object arrays ({@code |O}) would
 * need unpickling and are refused, as are strings, complex numbers and structured types.
 *
 * <p>Data stored in Fortran (column-major) order is rearranged once, on reading, so every accessor returns
 * elements in C order (row-major, last index fastest) regardless of how the file stored them.
 * Conversions follow {@link DType}: anything may be read as float or double, integers and booleans as long,
 * booleans as boolean, one-byte types as bytes. A disallowed conversion throws {@link IllegalStateException}.
 * The array is immutable; each accessor returns a fresh Java array.
 */
public final class NpyArray {

    /** Longest header dictionary accepted (NumPy itself refuses more than 10,000 bytes by default). */
    static final int MAX_HEADER_BYTES = 1 << 20;

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    // With no size known up front, the data buffer grows from this size, so a lying header cannot make the
    // reader allocate gigabytes before it finds the stream truncated.
    private static final int UNBOUNDED_FIRST_CHUNK = 1 << 20;

    private final String source;
    private final NpyHeader header;
    private final byte[] data;

    private NpyArray(String source, NpyHeader header, byte[] data) {
        this.source = source;
        this.header = header;
        this.data = data;
    }

    /**
     * Reads a {@code .npy} file; the file must end exactly where the data ends.
     *
     * @throws MalformedFileException naming the file if it is not a well-formed, supported array
     * @throws IOException if the file cannot be read
     */
    public static NpyArray read(Path file) throws IOException {
        long size = Files.size(file);
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), size, true);
        }
    }

    /**
     * Reads one array from a stream and leaves the stream just after its data, as NumPy does when several
     * arrays are saved into one open file.
     *
     * @param sourceName names the stream in error messages (a file name or archive entry)
     * @throws MalformedFileException naming {@code sourceName} if the stream does not hold a well-formed,
     *     supported array
     * @throws IOException if reading the stream fails
     */
    public static NpyArray read(InputStream in, String sourceName) throws IOException {
        return read(in, sourceName, Long.MAX_VALUE, false);
    }

    /**
     * @param sizeBound no more than this many bytes can come from {@code in} (Long.MAX_VALUE if unknown); a
     *     header that declares more data is refused before any allocation
     * @param wholeInput whether the stream must end right after the data
     */
    static NpyArray read(InputStream in, String source, long sizeBound, boolean wholeInput) throws IOException {
        byte[] prefix = in.readNBytes(8);
        if (prefix.length < 8 || !Arrays.equals(prefix, 0, 6, MAGIC, 0, 6)) {
            throw new MalformedFileException(source, prefix.length < 8 && startsWithMagic(prefix)
                    ? "npy file truncated within its first 8 bytes"
                    : "not a .npy file (missing the \\x93NUMPY magic)");
        }
        int major = prefix[6] & 0xFF;
        int minor = prefix[7] & 0xFF;
        if (minor != 0 || major < 1 || major > 3) {
            throw new MalformedFileException(source, "unsupported .npy format version " + major + "." + minor
                    + " (supported: 1.0, 2.0, 3.0)");
        }
        int lengthBytes = major == 1 ? 2 : 4;
        byte[] lengthField = in.readNBytes(lengthBytes);
        if (lengthField.length < lengthBytes) {
            throw new MalformedFileException(source, "npy file truncated in its header length");
        }
        ByteBuffer length = ByteBuffer.wrap(lengthField).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength = major == 1 ? length.getShort() & 0xFFFF : length.getInt() & 0xFFFF_FFFFL;
        long headerEnd = 8 + lengthBytes + headerLength;
        if (headerLength > MAX_HEADER_BYTES) {
            throw new MalformedFileException(source, "npy header length " + headerLength + " exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes");
        }
        if (headerEnd > sizeBound) {
            throw new MalformedFileException(source, "npy header length " + headerLength + " runs past the end of"
                    + " the " + sizeBound + "-byte input");
        }
        byte[] headerBytes = in.readNBytes((int) headerLength);
        if (headerBytes.length < headerLength) {
            throw new MalformedFileException(source, "npy file truncated in its header (" + headerBytes.length
                    + " of " + headerLength + " bytes)");
        }
        NpyHeader header = NpyHeader.parse(decodeHeader(headerBytes, major, source), source);

        long dataLength;
        try {
            dataLength = Math.multiplyExact(header.elements(), header.dtype().bytes());
        } catch (ArithmeticException e) {
            throw new MalformedFileException(source, "shape " + NpyHeader.formatShape(header.shape())
                    + " has more elements than a long can count");
        }
        String declared = "shape " + NpyHeader.formatShape(header.shape()) + " of '" + header.descr() + "' needs "
                + dataLength + " bytes";
        if (dataLength > Integer.MAX_VALUE - 8) {
            throw new MalformedFileException(source, declared + ", more than one Java array can hold");
        }
        if (dataLength > sizeBound - headerEnd) {
            throw new MalformedFileException(source, "data truncated: " + declared + " but at most "
                    + (sizeBound - headerEnd) + " follow the header");
        }
        byte[] data = readData(in, (int) dataLength, sizeBound != Long.MAX_VALUE, source, declared);
        if (wholeInput && in.read() >= 0) {
            throw new MalformedFileException(source, "unexpected bytes after the array data (" + declared + ")");
        }
        if (header.dtype() == DType.BOOL) {
            normalizeBooleans(data);
        }
        if (header.fortranOrder() && header.shape().length > 1) {
            data = fortranToC(data, header.shape(), header.dtype().bytes());
        }
        return new NpyArray(source, header, data);
    }

    /** The dtype descriptor as written in the file, e.g. {@code "<f4"}. */
    public String descr() {
        return header.descr();
    }

    /** The element type the descriptor names. */
    public DType dtype() {
        return header.dtype();
    }

    /** The extent of each dimension, outermost first (a copy). */
    public long[] shape() {
        return header.shape().clone();
    }

    /** Whether the file stored the data column-major; accessors return C order either way. */
    public boolean fortranOrder() {
        return header.fortranOrder();
    }

    /** Number of elements, the product of the shape. */
    public long elements() {
        return header.elements();
    }

    /** All elements in C order as floats (see {@link DType} for the conversion). */
    public float[] floats() {
        return elementBuffer().toFloats();
    }

    /** All elements in C order as doubles (see {@link DType} for the conversion). */
    public double[] doubles() {
        return elementBuffer().toDoubles();
    }

    /**
     * All elements in C order as longs.
     *
     * @throws IllegalStateException if the array holds floating-point numbers
     */
    public long[] longs() {
        if (header.dtype().isFloatingPoint()) {
            throw refused("long");
        }
        return elementBuffer().toLongs();
    }

    /**
     * All elements in C order as booleans.
     *
     * @throws IllegalStateException unless the array is boolean ({@code |b1})
     */
    public boolean[] booleans() {
        if (header.dtype() != DType.BOOL) {
            throw refused("boolean");
        }
        return elementBuffer().toBooleans();
    }

    /**
     * All elements in C order as raw bytes: 0 or 1 for booleans, two's complement for int8, and the unsigned
     * value {@code b & 0xFF} for uint8.
     *
     * @throws IllegalStateException unless elements are one byte wide ({@code b1}, {@code u1}, {@code i1})
     */
    public byte[] bytes() {
        if (header.dtype().bytes() != 1) {
            throw refused("byte");
        }
        return data.clone();
    }

    @Override
    public String toString() {
        return "NpyArray[" + source + ", '" + header.descr() + "' " + NpyHeader.formatShape(header.shape())
                + (header.fortranOrder() ? " fortran" : "") + "]";
    }

    private IllegalStateException refused(String javaType) {
        return new IllegalStateException(source + ": array of '" + header.descr() + "' cannot be read as "
                + javaType + " values");
    }

    private ElementBuffer elementBuffer() {
        return new ElementBuffer(ByteBuffer.wrap(data), header.order(), header.dtype(),
                data.length / header.dtype().bytes());
    }

    private static boolean startsWithMagic(byte[] prefix) {
        return Arrays.equals(prefix, 0, Math.min(prefix.length, 6), MAGIC, 0, Math.min(prefix.length, 6));
    }

    private static String decodeHeader(byte[] bytes, int major, String source) throws MalformedFileException {
        if (major < 3) {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new MalformedFileException(source, "npy 3.0 header is not valid UTF-8", e);
        }
    }

    /**
     * Reads exactly {@code length} bytes. With {@code sized} the caller has checked the input can hold them,
     * so one array of the final size is filled directly; otherwise the array grows as data actually arrives.
     */
    private static byte[] readData(InputStream in, int length, boolean sized, String source, String declared)
            throws IOException {
        byte[] data = new byte[sized ? length : Math.min(length, UNBOUNDED_FIRST_CHUNK)];
        int filled = 0;
        while (true) {
            int n = in.readNBytes(data, filled, data.length - filled);
            filled += n;
            if (filled == length) {
                return data;
            }
            if (filled < data.length) {
                throw new MalformedFileException(source, "data truncated: " + declared + " but the input ended after "
                        + filled);
            }
            data = Arrays.copyOf(data, (int) Math.min(length, 2L * data.length));
        }
    }

    /** Maps every nonzero byte to 1, as NumPy reads them, so that {@link #bytes()} can be a plain copy. */
    private static void normalizeBooleans(byte[] data) {
        for (int i = 0; i < data.length; i++) {
            if ((data[i] & 0xFE) != 0) {
                data[i] = 1;
            }
        }
    }

    /** Rearranges column-major elements of {@code elementBytes} bytes each into row-major order. */
    private static byte[] fortranToC(byte[] fortran, long[] shape, int elementBytes) {
        int rank = shape.length;
        byte[] c = new byte[fortran.length];
        if (c.length == 0) {
            return c;
        }
        // Column-major strides, in elements: the first index varies fastest.
        long[] strides = new long[rank];
        long stride = 1;
        for (int k = 0; k < rank; k++) {
            strides[k] = stride;
            stride *= shape[k];
        }
        long[] index = new long[rank];
        long from = 0;
        int elements = fortran.length / elementBytes;
        for (int to = 0; to < elements; to++) {
            System.arraycopy(fortran, (int) (from * elementBytes), c, to * elementBytes, elementBytes);
            // Advance the row-major index like an odometer, keeping the column-major offset in step.
            for (int k = rank - 1; k >= 0; k--) {
                index[k]++;
                from += strides[k];
                if (index[k] < shape[k]) {
                    break;
                }
                from -= index[k] * strides[k];
                index[k] = 0;
            }
        }
        return c;
    }
}
