package org.care4j.io;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Collects tensors and string metadata, then writes them as one {@code .safetensors} file (the layout
 * {@link SafeTensors} describes), tensors in the order they were added, the header padded with spaces to a
 * multiple of 8 bytes so that the data section is aligned.
 *
 * <p>Writing is atomic: the bytes go to a temporary file in the target's directory, which is flushed to disk
 * and then renamed over the target, so a reader sees the old file or the complete new one, never a partial
 * one. Each {@code add} copies its data at once, so later changes to the source array do not leak in;
 * {@link #addLater} instead reads an NDArray only while the file is written, so that a large model is never
 * held twice (the array must then stay open and unchanged until {@link #write} returns).
 *
 * <pre>{@code
 * new SafeTensorsWriter().metadata("format", "pt").add("head.weight", new long[] {10, 192}, weights)
 *         .write(Path.of("head.safetensors"));
 * }</pre>
 */
public final class SafeTensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One tensor: its bytes now, or a source that gives them when the file is written. */
    private record Entry(DType dtype, long[] shape, long length, byte[] littleEndian,
            java.util.function.Supplier<ByteBuffer> later) {

        ByteBuffer bytes() {
            return littleEndian != null ? ByteBuffer.wrap(littleEndian) : later.get();
        }
    }

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, Entry> tensors = new LinkedHashMap<>();

    public SafeTensorsWriter() {}

    /** Adds (or replaces) one {@code __metadata__} entry. */
    public SafeTensorsWriter metadata(String key, String value) {
        if (key == null || value == null) {
            throw new IllegalArgumentException("metadata key and value must not be null (key " + key + ")");
        }
        metadata.put(key, value);
        return this;
    }

    /**
     * Adds a copy of an NDArray with its own shape and element type.
     *
     * @throws IllegalArgumentException if the name is taken or invalid, or the array's type has no
     *     safetensors equivalent here (supported: FLOAT64, FLOAT32, FLOAT16, BFLOAT16, INT64, INT32, INT16,
     *     INT8, UINT8, UINT16, UINT32, BOOLEAN)
     */
    public SafeTensorsWriter add(String name, NDArray array) {
        return put(name, dtypeOf(name, array), array.getShape().getShape(), littleEndianBytes(array));
    }

    /**
     * Adds an NDArray whose bytes are read only when the file is written; it must stay open and unchanged until
     * then.
     *
     * @throws IllegalArgumentException as {@link #add(String, NDArray)}
     */
    public SafeTensorsWriter addLater(String name, NDArray array) {
        DType dtype = dtypeOf(name, array);
        long[] shape = array.getShape().getShape();
        long length = Math.multiplyExact(elements(name, shape), dtype.bytes());
        if (name == null || name.equals("__metadata__")) {
            throw new IllegalArgumentException("invalid tensor name " + name);
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        tensors.put(name, new Entry(dtype, shape.clone(), length, null,
                () -> ByteBuffer.wrap(littleEndianBytes(array))));
        return this;
    }

    private static byte[] littleEndianBytes(NDArray array) {
        ByteBuffer nativeBytes = array.toByteBuffer().order(ByteOrder.nativeOrder());
        byte[] bytes = new byte[nativeBytes.remaining()];
        nativeBytes.get(bytes);
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            reverseEachElement(bytes, dtypeOf("", array).bytes());
        }
        return bytes;
    }

    private static DType dtypeOf(String name, NDArray array) {
        return switch (array.getDataType()) {
            case FLOAT64 -> DType.F64;
            case FLOAT32 -> DType.F32;
            case FLOAT16 -> DType.F16;
            case BFLOAT16 -> DType.BF16;
            case INT64 -> DType.I64;
            case INT32 -> DType.I32;
            case INT16 -> DType.I16;
            case INT8 -> DType.I8;
            case UINT8 -> DType.U8;
            case UINT16 -> DType.U16;
            case UINT32 -> DType.U32;
            case BOOLEAN -> DType.BOOL;
            default -> throw new IllegalArgumentException("tensor '" + name + "': NDArray type "
                    + array.getDataType() + " cannot be written to safetensors here");
        };
    }

    /** Adds an F32 tensor; {@code data} holds the elements in C order. */
    public SafeTensorsWriter add(String name, long[] shape, float[] data) {
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(data.length, 4)).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(data);
        return put(name, DType.F32, shape, bytes.array());
    }

    /** Adds an F64 tensor; {@code data} holds the elements in C order. */
    public SafeTensorsWriter add(String name, long[] shape, double[] data) {
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(data.length, 8)).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asDoubleBuffer().put(data);
        return put(name, DType.F64, shape, bytes.array());
    }

    /** Adds an I64 tensor; {@code data} holds the elements in C order. */
    public SafeTensorsWriter add(String name, long[] shape, long[] data) {
        ByteBuffer bytes = ByteBuffer.allocate(Math.multiplyExact(data.length, 8)).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(data);
        return put(name, DType.I64, shape, bytes.array());
    }

    /**
     * Adds a tensor of any type from its little-endian bytes in C order, e.g. F16 or BF16 bit patterns.
     *
     * @throws IllegalArgumentException if the byte count is not elements times {@code dtype.bytes()}
     */
    public SafeTensorsWriter addRaw(String name, DType dtype, long[] shape, byte[] littleEndianData) {
        return put(name, dtype, shape, littleEndianData.clone());
    }

    /**
     * Writes the file, replacing any existing one atomically.
     *
     * @throws IOException if the directory cannot be written; the target is then left as it was
     */
    public void write(Path file) throws IOException {
        byte[] header = header();
        Path target = file.toAbsolutePath();
        Path directory = target.getParent();
        Path temporary = Files.createTempFile(directory, "." + target.getFileName() + ".", ".tmp");
        try {
            readableByAll(temporary);
            try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                length.putLong(0, header.length);
                writeFully(out, length);
                writeFully(out, ByteBuffer.wrap(header));
                for (Map.Entry<String, Entry> tensor : tensors.entrySet()) {
                    ByteBuffer bytes = tensor.getValue().bytes();
                    if (bytes.remaining() != tensor.getValue().length) {
                        throw new IllegalStateException("tensor '" + tensor.getKey() + "' changed size after it "
                                + "was added: " + bytes.remaining() + " bytes instead of "
                                + tensor.getValue().length);
                    }
                    writeFully(out, bytes);
                }
                out.force(true);
            }
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        syncDirectory(directory);
    }

    private SafeTensorsWriter put(String name, DType dtype, long[] shape, byte[] littleEndian) {
        if (name == null || name.equals("__metadata__")) {
            throw new IllegalArgumentException("invalid tensor name " + name);
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("tensor '" + name + "' added twice");
        }
        long elements = elements(name, shape);
        if (Math.multiplyExact(elements, dtype.bytes()) != littleEndian.length) {
            throw new IllegalArgumentException("tensor '" + name + "' shape " + Arrays.toString(shape) + " of "
                    + dtype + " needs " + elements * dtype.bytes() + " bytes but the data has "
                    + littleEndian.length);
        }
        tensors.put(name, new Entry(dtype, shape.clone(), littleEndian.length, littleEndian, null));
        return this;
    }

    private static long elements(String name, long[] shape) {
        long elements = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has negative dimension in shape "
                        + Arrays.toString(shape));
            }
            elements = Math.multiplyExact(elements, d);
        }
        return elements;
    }

    private byte[] header() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Entry> tensor : tensors.entrySet()) {
            Entry entry = tensor.getValue();
            ObjectNode node = root.putObject(tensor.getKey());
            node.put("dtype", entry.dtype.name());
            ArrayNode shape = node.putArray("shape");
            for (long d : entry.shape) {
                shape.add(d);
            }
            node.putArray("data_offsets").add(offset).add(offset + entry.length);
            offset += entry.length;
        }
        byte[] json = JSON.writeValueAsBytes(root);
        byte[] padded = Arrays.copyOf(json, (json.length + 7) / 8 * 8);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        return padded;
    }

    private static void writeFully(FileChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }

    private static void reverseEachElement(byte[] bytes, int width) {
        for (int start = 0; start < bytes.length; start += width) {
            for (int i = 0, j = width - 1; i < j; i++, j--) {
                byte t = bytes[start + i];
                bytes[start + i] = bytes[start + j];
                bytes[start + j] = t;
            }
        }
    }

    /** Temporary files start as owner-only; a weight file is ordinarily readable by everyone. */
    private static void readableByAll(Path file) throws IOException {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: keep its default permissions.
        }
    }

    /** Makes the rename itself durable; some platforms cannot open a directory, which is then skipped. */
    private static void syncDirectory(Path directory) {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // The file itself is already on disk; only the directory entry's durability is best-effort.
        }
    }
}
