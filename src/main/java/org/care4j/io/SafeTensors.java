package org.care4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A read-only view of one {@code .safetensors} file, the weight format of Hugging Face and timm.
 *
 * <p>Layout: an 8-byte little-endian unsigned length {@code N}; {@code N} bytes of UTF-8 JSON,
 * {@code {"name": {"dtype": "F32", "shape": [192, 768], "data_offsets": [b, e]}, ...,
 * "__metadata__": {"key": "value"}}}; then the data section, where tensor {@code name} occupies bytes
 * {@code [b, e)} in C order (row-major), little-endian.
 *
 * <p>{@link #open} validates the whole header before any tensor is read: the length against the file size,
 * the JSON, each dtype, shape and offset pair, that each byte range equals elements times element size, and
 * that the ranges tile the data section exactly, without gaps or overlaps, as the reference implementation
 * requires. A broken file fails with a {@link MalformedFileException} that names the file, the tensor and the
 * problem. Tensor data is then read per tensor on demand (large tensors through a memory mapping), so a
 * multi-gigabyte file is never held in memory whole.
 *
 * <p>Instances are safe for concurrent reads. Close to release the file.
 */
public final class SafeTensors implements AutoCloseable {

    /** Longest header accepted; the reference implementation uses the same 100 MB limit. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";

    // Reading a small tensor with one positional read is cheaper than creating and later unmapping a mapping.
    private static final long MAP_THRESHOLD_BYTES = 1 << 20;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Path file;
    private final String source;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;
    private final List<String> names;
    private final Map<String, String> metadata;

    private SafeTensors(Path file, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors,
            Map<String, String> metadata) {
        this.file = file;
        this.source = file.toString();
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.names = List.copyOf(tensors.keySet());
        this.metadata = Collections.unmodifiableMap(metadata);
    }

    /**
     * Opens a file and validates its header.
     *
     * @throws MalformedFileException if the file breaks the format in any way the class description lists
     * @throws IOException if the file cannot be read
     */
    public static SafeTensors open(Path file) throws IOException {
        String source = file.toString();
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            long size = channel.size();
            if (size < 8) {
                throw new MalformedFileException(source, "file is " + size
                        + " bytes, too short for the 8-byte header length");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0, source);
            long headerLength = lengthBytes.getLong(0);
            // Checked before allocating, and unsigned, so that a tampered length cannot exhaust memory.
            if (Long.compareUnsigned(headerLength, MAX_HEADER_BYTES) > 0) {
                throw new MalformedFileException(source, "header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (headerLength > size - 8) {
                throw new MalformedFileException(source, "header length " + headerLength
                        + " exceeds the " + (size - 8) + " bytes that follow it (file truncated?)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            readFully(channel, header, 8, source);
            long dataStart = 8 + headerLength;
            HeaderContent content = parseHeader(header.array(), size - dataStart, source);
            return new SafeTensors(file, channel, dataStart, content.tensors, content.metadata);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The file this view reads. */
    public Path file() {
        return file;
    }

    /** Tensor names in header order, without {@code __metadata__}. */
    public List<String> names() {
        return names;
    }

    /** The header's {@code __metadata__} string map, in header order; empty if the header has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Whether the file holds a tensor called {@code name}. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * The header entry of one tensor.
     *
     * @throws IllegalArgumentException naming the file and the tensor if there is no such tensor
     */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new IllegalArgumentException(source + ": no tensor '" + name + "' (the file holds "
                    + tensors.size() + " tensors" + (names.isEmpty() ? "" : ", first '" + names.get(0) + "'")
                    + ")");
        }
        return info;
    }

    /**
     * The tensor's elements in C order as floats; F64 is rounded to nearest, F16 and BF16 widen exactly,
     * integer and boolean types convert as {@link DType} describes.
     *
     * @throws IllegalArgumentException if there is no such tensor or it is too large for one Java array
     * @throws UncheckedIOException if reading the file fails
     */
    public float[] floats(String name) {
        return elements(info(name)).toFloats();
    }

    /**
     * The tensor's elements in C order as doubles; every floating-point type widens exactly, integer and
     * boolean types convert as {@link DType} describes.
     *
     * @throws IllegalArgumentException if there is no such tensor or it is too large for one Java array
     * @throws UncheckedIOException if reading the file fails
     */
    public double[] doubles(String name) {
        return elements(info(name)).toDoubles();
    }

    /**
     * The tensor's elements in C order as longs; integer and boolean (0 or 1) types only.
     *
     * @throws IllegalArgumentException if there is no such tensor, it has a floating-point type, or it is too
     *     large for one Java array
     * @throws UncheckedIOException if reading the file fails
     */
    public long[] longs(String name) {
        TensorInfo info = info(name);
        requireInteger(info);
        return elements(info).toLongs();
    }

    /**
     * Copies one tensor into a new NDArray owned by {@code manager}, with the header's shape.
     *
     * <p>The array owns fresh memory: it never aliases the file, so in-place operations on it are safe.
     *
     * @param type FLOAT32 or FLOAT64 (from any stored type), or INT64 (from integer and boolean types)
     * @throws IllegalArgumentException if there is no such tensor, {@code type} is none of the three, or the
     *     conversion is not allowed
     * @throws UncheckedIOException if reading the file fails
     */
    public NDArray toNDArray(NDManager manager, String name, DataType type) {
        TensorInfo info = info(name);
        Shape shape = new Shape(info.shape());
        DType stored = switch (type) {
            case FLOAT32 -> DType.F32;
            case FLOAT64 -> DType.F64;
            case INT64 -> DType.I64;
            default -> throw new IllegalArgumentException(source + ": tensor '" + name + "' requested as "
                    + type + "; only FLOAT32, FLOAT64 and INT64 are supported");
        };
        if (info.dtype() == stored && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            // A fresh direct buffer, because DJL's PyTorch engine shares a direct buffer's memory with the
            // tensor, and a read-only file mapping would crash the first in-place operation.
            ByteBuffer copy = ByteBuffer.allocateDirect(checkedLength(info)).order(ByteOrder.nativeOrder());
            copy.put(data(info));
            copy.flip();
            return manager.create(copy, shape, type);
        }
        return switch (type) {
            case FLOAT32 -> manager.create(floats(name), shape);
            case FLOAT64 -> manager.create(doubles(name), shape);
            default -> manager.create(longs(name), shape);
        };
    }

    /** Releases the file; reading a tensor afterwards fails. */
    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(source + ": cannot close", e);
        }
    }

    @Override
    public String toString() {
        return "SafeTensors[" + source + ", " + tensors.size() + " tensors]";
    }

    private void requireInteger(TensorInfo info) {
        if (info.dtype().isFloatingPoint()) {
            throw new IllegalArgumentException(source + ": tensor '" + info.name() + "' is " + info.dtype()
                    + " and cannot be read as integers");
        }
    }

    private ElementBuffer elements(TensorInfo info) {
        int length = checkedLength(info);
        return new ElementBuffer(data(info), ByteOrder.LITTLE_ENDIAN, info.dtype(), length / info.dtype().bytes());
    }

    private int checkedLength(TensorInfo info) {
        long length = info.byteLength();
        if (length > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(source + ": tensor '" + info.name() + "' has " + length
                    + " bytes, more than one Java array can hold");
        }
        return (int) length;
    }

    private ByteBuffer data(TensorInfo info) {
        if (!channel.isOpen()) {
            throw new IllegalStateException(source + ": closed");
        }
        long position = dataStart + info.begin();
        int length = checkedLength(info);
        try {
            if (length >= MAP_THRESHOLD_BYTES) {
                return channel.map(FileChannel.MapMode.READ_ONLY, position, length);
            }
            ByteBuffer buffer = ByteBuffer.allocate(length);
            readFully(channel, buffer, position, source);
            return buffer;
        } catch (IOException e) {
            throw new UncheckedIOException(source + ": cannot read tensor '" + info.name() + "'", e);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position, String source)
            throws IOException {
        long at = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, at);
            if (n < 0) {
                throw new MalformedFileException(source, "file ended at byte " + at + " while reading");
            }
            at += n;
        }
        buffer.flip();
    }

    private record HeaderContent(Map<String, TensorInfo> tensors, Map<String, String> metadata) {}

    private static HeaderContent parseHeader(byte[] header, long dataLength, String source)
            throws MalformedFileException {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JsonProcessingException e) {
            throw new MalformedFileException(source, "header is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new MalformedFileException(source, "header is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new MalformedFileException(source, "header is not a JSON object");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals(METADATA_KEY)) {
                parseMetadata(field.getValue(), metadata, source);
            } else {
                TensorInfo info = parseTensor(field.getKey(), field.getValue(), dataLength, source);
                tensors.put(info.name(), info);
            }
        }
        checkTiling(tensors, dataLength, source);
        return new HeaderContent(tensors, metadata);
    }

    private static void parseMetadata(JsonNode node, Map<String, String> metadata, String source)
            throws MalformedFileException {
        if (!node.isObject()) {
            throw new MalformedFileException(source, "__metadata__ is not a JSON object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().isTextual()) {
                throw new MalformedFileException(source, "__metadata__ value of '" + entry.getKey()
                        + "' is not a string");
            }
            metadata.put(entry.getKey(), entry.getValue().textValue());
        }
    }

    private static TensorInfo parseTensor(String name, JsonNode node, long dataLength, String source)
            throws MalformedFileException {
        String tensor = "tensor '" + name + "' ";
        if (!node.isObject()) {
            throw new MalformedFileException(source, tensor + "entry is not a JSON object");
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw new MalformedFileException(source, tensor + "has unknown field '" + key + "'");
            }
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new MalformedFileException(source, tensor + "has no dtype string");
        }
        DType dtype = DType.fromSafetensorsName(dtypeNode.textValue());
        if (dtype == null) {
            throw new MalformedFileException(source, tensor + "has unsupported dtype '" + dtypeNode.textValue()
                    + "' (supported: " + Arrays.toString(DType.values()) + ")");
        }
        long[] shape = naturals(node.get("shape"), "shape", tensor, source);
        long[] offsets = naturals(node.get("data_offsets"), "data_offsets", tensor, source);
        if (offsets.length != 2) {
            throw new MalformedFileException(source, tensor + "data_offsets has " + offsets.length
                    + " entries instead of 2");
        }
        long begin = offsets[0];
        long end = offsets[1];
        String range = "data_offsets [" + begin + ", " + end + ")";
        if (begin > end) {
            throw new MalformedFileException(source, tensor + range + " end before they begin");
        }
        if (end > dataLength) {
            throw new MalformedFileException(source, tensor + range + " exceed data section of " + dataLength
                    + " bytes");
        }
        long bytes;
        try {
            long elements = 1;
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            bytes = Math.multiplyExact(elements, dtype.bytes());
        } catch (ArithmeticException e) {
            throw new MalformedFileException(source, tensor + "shape " + Arrays.toString(shape)
                    + " has more elements than a long can count");
        }
        if (bytes != end - begin) {
            throw new MalformedFileException(source, tensor + "shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + bytes + " bytes but " + range + " span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] naturals(JsonNode node, String field, String tensor, String source)
            throws MalformedFileException {
        if (node == null || !node.isArray()) {
            throw new MalformedFileException(source, tensor + "has no " + field + " array");
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode value = node.get(i);
            if (!value.isIntegralNumber() || !value.canConvertToLong() || value.longValue() < 0) {
                throw new MalformedFileException(source, tensor + field + "[" + i + "] = " + value
                        + " is not a non-negative integer");
            }
            values[i] = value.longValue();
        }
        return values;
    }

    /** The byte ranges, taken in order of position, must cover {@code [0, dataLength)} without gap or overlap. */
    private static void checkTiling(Map<String, TensorInfo> tensors, long dataLength, String source)
            throws MalformedFileException {
        List<TensorInfo> byPosition = new ArrayList<>(tensors.values());
        byPosition.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long covered = 0;
        TensorInfo previous = null;
        for (TensorInfo info : byPosition) {
            if (info.begin() < covered) {
                throw new MalformedFileException(source, "tensor '" + info.name() + "' data_offsets ["
                        + info.begin() + ", " + info.end() + ") overlap tensor '" + previous.name() + "' ["
                        + previous.begin() + ", " + previous.end() + ")");
            }
            if (info.begin() > covered) {
                throw new MalformedFileException(source, "tensor '" + info.name() + "' data_offsets ["
                        + info.begin() + ", " + info.end() + ") leave bytes [" + covered + ", " + info.begin()
                        + ") of the data section unused");
            }
            covered = info.end();
            previous = info;
        }
        if (covered != dataLength) {
            throw new MalformedFileException(source, "data section has " + dataLength
                    + " bytes but the tensors cover only " + covered);
        }
    }
}
