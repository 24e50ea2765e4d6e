package org.care4j.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.care4j.runtime.CareException;

/**
 * A Python pickle reader that only rebuilds plain data: dicts, lists, tuples, numbers, strings,
 * bytes and NumPy arrays of numbers, the content of CIFAR's {@code cifar-100-python} files.
 *
 * <p>Pickle is a program for a stack machine that may import and call any Python function. This
 * reader runs none: it accepts the opcodes of protocols 2 to 5 that push data, and allows exactly
 * the imports NumPy writes to rebuild an array ({@code numpy.core.multiarray._reconstruct}, {@code
 * numpy.ndarray}, {@code numpy.dtype}, {@code numpy.core.numeric._frombuffer} in both the {@code
 * numpy.core} and {@code numpy._core} spellings, and {@code _codecs.encode} for bytes in protocol
 * 2), which it interprets itself. Every other import, object-building opcode (INST, OBJ, NEWOBJ,
 * persistent ids, extension codes, out-of-band buffers) or call is refused with a {@link
 * CareException} naming the file, the offset and the opcode.
 *
 * <p>Results: {@code Map} (dict; Python 2 strings as keys become {@code String}), {@code List}
 * (list, and unmodifiable for tuple), {@code Long} or {@code BigInteger}, {@code Double}, {@code
 * Boolean}, {@code null}, {@code String} (unicode), {@code byte[]} (bytes and Python 2 strings),
 * {@link NumpyArray}.
 */
final class PickleReader {

    /**
     * A NumPy array of numbers: dtype code ({@code u1}, {@code i8}, ...), byte order, shape, raw
     * data.
     */
    static final class NumpyArray {
        private String kind;
        private boolean littleEndian = true;
        private int[] shape;
        private boolean fortranOrder;
        private byte[] data;

        String dtype() {
            return kind;
        }

        int[] shape() {
            return shape.clone();
        }

        boolean fortranOrder() {
            return fortranOrder;
        }

        /** Raw element bytes in the array's own byte order. */
        byte[] data() {
            return data;
        }

        long elementCount() {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }

        /** Elements as longs (integer and boolean dtypes). */
        long[] longs() {
            int size = elementSize(kind);
            ByteBuffer b =
                    ByteBuffer.wrap(data)
                            .order(littleEndian ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            long[] out = new long[(int) elementCount()];
            boolean unsigned = kind.charAt(0) == 'u' || kind.charAt(0) == 'b';
            for (int i = 0; i < out.length; i++) {
                int at = i * size;
                out[i] =
                        switch (size) {
                            case 1 -> unsigned ? b.get(at) & 0xFF : b.get(at);
                            case 2 -> unsigned ? b.getShort(at) & 0xFFFF : b.getShort(at);
                            case 4 -> unsigned ? b.getInt(at) & 0xFFFFFFFFL : b.getInt(at);
                            default -> b.getLong(at);
                        };
            }
            return out;
        }
    }

    private static final Set<String> RECONSTRUCT =
            Set.of("numpy.core.multiarray._reconstruct", "numpy._core.multiarray._reconstruct");
    private static final Set<String> FROMBUFFER =
            Set.of("numpy.core.numeric._frombuffer", "numpy._core.numeric._frombuffer");
    private static final String NDARRAY = "numpy.ndarray";
    private static final String DTYPE = "numpy.dtype";
    private static final String CODECS_ENCODE = "_codecs.encode";

    /** An allowed import, still uncalled. */
    private record Global(String qualifiedName) {}

    /** A {@code numpy.dtype} under construction (its byte order arrives by BUILD). */
    private static final class DType {
        final String kind;
        char byteOrder = '=';

        DType(String code) {
            String c = code;
            if (!c.isEmpty() && "<>|=".indexOf(c.charAt(0)) >= 0) {
                byteOrder = c.charAt(0);
                c = c.substring(1);
            }
            kind = c;
        }
    }

    private static final Object MARK = new Object();

    private final DataInputStream in;
    private final String source;
    private final List<Object> stack = new ArrayList<>();
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final Map<Long, Object> memo = new HashMap<>();
    // Arrays made by _reconstruct whose BUILD has not come yet; none may be left at STOP.
    private final Set<NumpyArray> unbuilt = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private long offset;

    private PickleReader(InputStream in, String source) {
        this.in = new DataInputStream(in);
        this.source = source;
    }

    /**
     * Reads one pickled value.
     *
     * @param source the file or archive entry, for messages
     */
    static Object read(InputStream in, String source) throws IOException {
        return new PickleReader(in, source).run();
    }

    private Object run() throws IOException {
        while (true) {
            long at = offset;
            int op = u8();
            switch (op) {
                case 0x80 -> u8(); // PROTO
                case 0x95 -> bytes(8); // FRAME: a length hint only
                case '.' -> {
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw fail(at, "STOP with " + stack.size() + " values on the stack");
                    }
                    return finish(stack.get(0), at);
                }
                case '(' -> {
                    marks.push(stack.size());
                    stack.add(MARK);
                }
                case '0' -> pop(at);
                case '1' -> popMark(at);
                case '2' -> push(peek(at));
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'I' -> {
                    String line = line();
                    push(
                            line.equals("00")
                                    ? Boolean.FALSE
                                    : line.equals("01")
                                            ? Boolean.TRUE
                                            : (Object) decimal(line, at));
                }
                case 'L' -> {
                    String line = line();
                    push(
                            integer(
                                    bigDecimal(
                                            line.endsWith("L")
                                                    ? line.substring(0, line.length() - 1)
                                                    : line,
                                            at)));
                }
                case 'J' -> push((long) (int) u32());
                case 'K' -> push((long) u8());
                case 'M' -> push((long) (u8() | (u8() << 8)));
                case 0x8a -> push(littleEndianInteger(bytes(u8())));
                case 0x8b -> push(littleEndianInteger(bytes(length(u32(), at))));
                case 'F' -> push(floating(line(), at));
                case 'G' -> push(ByteBuffer.wrap(bytes(8)).getDouble());
                case 'T' -> push(bytes(length(u32(), at)));
                case 'U' -> push(bytes(u8()));
                case 'B' -> push(bytes(length(u32(), at)));
                case 'C' -> push(bytes(u8()));
                case 0x8e, 0x96 -> push(bytes(length(u64(), at)));
                case 'X' -> push(utf8(bytes(length(u32(), at))));
                case 0x8c -> push(utf8(bytes(u8())));
                case 0x8d -> push(utf8(bytes(length(u64(), at))));
                case '}' -> push(new LinkedHashMap<>());
                case ']' -> push(new ArrayList<>());
                case ')' -> push(tuple());
                case 'l' -> push(new ArrayList<>(popMark(at)));
                case 't' -> push(tuple(popMark(at).toArray()));
                case 0x85 -> push(tuple(pop(at)));
                case 0x86 -> {
                    Object b = pop(at);
                    push(tuple(pop(at), b));
                }
                case 0x87 -> {
                    Object c = pop(at);
                    Object b = pop(at);
                    push(tuple(pop(at), b, c));
                }
                case 'a' -> {
                    Object v = pop(at);
                    list(peek(at), at).add(v);
                }
                case 'e' -> {
                    List<Object> items = popMark(at);
                    list(peek(at), at).addAll(items);
                }
                case 'd' -> {
                    List<Object> items = popMark(at);
                    Map<Object, Object> map = new LinkedHashMap<>();
                    putAll(map, items, at);
                    push(map);
                }
                case 's' -> {
                    Object v = pop(at);
                    Object k = pop(at);
                    putAll(dict(peek(at), at), Arrays.asList(k, v), at);
                }
                case 'u' -> {
                    List<Object> items = popMark(at);
                    putAll(dict(peek(at), at), items, at);
                }
                case 'p' -> memo.put(decimal(line(), at), peek(at));
                case 'q' -> memo.put((long) u8(), peek(at));
                case 'r' -> memo.put(u32(), peek(at));
                case 0x94 -> memo.put((long) memo.size(), peek(at));
                case 'g' -> push(memoGet(decimal(line(), at), at));
                case 'h' -> push(memoGet(u8(), at));
                case 'j' -> push(memoGet(u32(), at));
                case 'c' -> push(global(line() + "." + line(), at));
                case 0x93 -> {
                    Object name = pop(at);
                    Object module = pop(at);
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw fail(at, "STACK_GLOBAL needs two strings");
                    }
                    push(global(m + "." + n, at));
                }
                case 'R' -> {
                    Object args = pop(at);
                    push(call(pop(at), args, at));
                }
                case 'b' -> {
                    Object state = pop(at);
                    build(peek(at), state, at);
                }
                default ->
                        throw fail(
                                at,
                                "opcode "
                                        + opcodeName(op)
                                        + " refused (only plain data and NumPy"
                                        + " arrays are read)");
            }
        }
    }

    private Object global(String name, long at) {
        if (RECONSTRUCT.contains(name)
                || FROMBUFFER.contains(name)
                || name.equals(NDARRAY)
                || name.equals(DTYPE)
                || name.equals(CODECS_ENCODE)) {
            return new Global(name);
        }
        throw fail(
                at, "import of " + name + " refused (only NumPy array reconstruction is allowed)");
    }

    private Object call(Object callable, Object argsValue, long at) {
        if (!(callable instanceof Global g)) {
            throw fail(at, "REDUCE on " + typeName(callable) + " refused");
        }
        if (!(argsValue instanceof List<?> args)) {
            throw fail(at, "REDUCE arguments are not a tuple");
        }
        String name = g.qualifiedName();
        if (RECONSTRUCT.contains(name)) {
            if (args.isEmpty()
                    || !(args.get(0) instanceof Global cls)
                    || !cls.qualifiedName().equals(NDARRAY)) {
                throw fail(at, name + " may only rebuild numpy.ndarray");
            }
            NumpyArray a = new NumpyArray();
            unbuilt.add(a);
            return a;
        }
        if (name.equals(DTYPE)) {
            if (args.isEmpty() || !(text(args.get(0)) instanceof String code)) {
                throw fail(at, "numpy.dtype needs a type code");
            }
            return new DType(code);
        }
        if (FROMBUFFER.contains(name)) {
            if (args.size() != 4
                    || !(args.get(0) instanceof byte[] buffer)
                    || !(args.get(1) instanceof DType t)
                    || !(args.get(2) instanceof List<?> shape)) {
                throw fail(at, name + " needs (buffer, dtype, shape, order)");
            }
            NumpyArray a = new NumpyArray();
            fill(a, t, shape, "F".equals(text(args.get(3))), buffer, at);
            return a;
        }
        if (name.equals(CODECS_ENCODE)) {
            if (args.size() != 2
                    || !(args.get(0) instanceof String s)
                    || !(text(args.get(1)) instanceof String enc)
                    || !Set.of("latin1", "latin-1", "iso-8859-1").contains(enc.toLowerCase())) {
                throw fail(at, "_codecs.encode is only allowed as encode(str, 'latin1')");
            }
            byte[] out = new byte[s.length()];
            for (int i = 0; i < out.length; i++) {
                char c = s.charAt(i);
                if (c > 0xFF) {
                    throw fail(at, "_codecs.encode: character above U+00FF in a latin1 string");
                }
                out[i] = (byte) c;
            }
            return out;
        }
        throw fail(at, "call of " + name + " refused");
    }

    private void build(Object target, Object stateValue, long at) {
        if (!(target instanceof DType) && !(target instanceof NumpyArray)) {
            throw fail(at, "BUILD on " + typeName(target) + " refused");
        }
        if (!(stateValue instanceof List<?> state)) {
            throw fail(at, "BUILD state of " + typeName(target) + " is not a tuple");
        }
        if (target instanceof DType t) {
            // (version, byteorder, subarray, names, fields, elsize, alignment, flags)
            if (state.size() < 2
                    || !(text(state.get(1)) instanceof String order)
                    || order.length() != 1
                    || state.size() > 2 && state.get(2) != null
                    || state.size() > 3 && state.get(3) != null) {
                throw fail(at, "only simple numeric dtypes are read (no records or sub-arrays)");
            }
            t.byteOrder = order.charAt(0);
            return;
        }
        // ndarray state: (version, shape, dtype, is_fortran, raw data); object arrays carry a list
        // instead
        if (state.size() != 5
                || !(state.get(1) instanceof List<?> shape)
                || !(state.get(2) instanceof DType t)
                || !(state.get(4) instanceof byte[] raw)) {
            throw fail(at, "unsupported ndarray state (object arrays are not read)");
        }
        boolean fortran = Boolean.TRUE.equals(state.get(3)) || Long.valueOf(1).equals(state.get(3));
        fill((NumpyArray) target, t, shape, fortran, raw, at);
        unbuilt.remove(target);
    }

    private void fill(
            NumpyArray a, DType t, List<?> shapeValues, boolean fortran, byte[] raw, long at) {
        int size = elementSize(t.kind);
        if (size == 0) {
            throw fail(at, "dtype " + t.kind + " is not read (numbers and booleans only)");
        }
        int[] shape = new int[shapeValues.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeValues.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw fail(at, "bad array shape " + shapeValues);
            }
            shape[i] = d.intValue();
            count *= d;
        }
        if (count * size != raw.length) {
            throw fail(
                    at,
                    "array of shape "
                            + Arrays.toString(shape)
                            + " and dtype "
                            + t.kind
                            + " needs "
                            + count * size
                            + " bytes, the pickle holds "
                            + raw.length);
        }
        a.kind = t.kind;
        a.littleEndian = t.byteOrder != '>';
        a.shape = shape;
        a.fortranOrder = fortran;
        a.data = raw;
    }

    static int elementSize(String kind) {
        return switch (kind) {
            case "u1", "i1", "b1", "B", "b", "?" -> 1;
            case "u2", "i2" -> 2;
            case "u4", "i4" -> 4;
            case "u8", "i8" -> 8;
            default -> 0;
        };
    }

    private Object finish(Object value, long at) {
        if (value instanceof Global || value instanceof DType) {
            throw fail(at, "the pickle's result is not data");
        }
        if (!unbuilt.isEmpty()) {
            throw fail(at, "an ndarray was rebuilt without its state (no BUILD)");
        }
        return value;
    }

    private void putAll(Map<Object, Object> map, List<Object> items, long at) {
        if (items.size() % 2 != 0) {
            throw fail(at, "odd number of dict items");
        }
        for (int i = 0; i < items.size(); i += 2) {
            Object key = items.get(i);
            Object value = items.get(i + 1);
            if (key instanceof byte[] b) {
                // Python 2 str keys (CIFAR's, read with encoding="latin1" by torchvision)
                key = new String(b, StandardCharsets.ISO_8859_1);
            } else if (key instanceof Map || key instanceof ArrayList) {
                throw fail(at, "unhashable dict key");
            }
            map.put(key, value);
        }
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o, long at) {
        if (o instanceof ArrayList<?> l) {
            return (List<Object>) l;
        }
        throw fail(at, "APPEND to " + typeName(o));
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o, long at) {
        if (o instanceof LinkedHashMap<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw fail(at, "SETITEM on " + typeName(o));
    }

    private static List<Object> tuple(Object... items) {
        return Collections.unmodifiableList(Arrays.asList(items));
    }

    private static Object text(Object o) {
        return o instanceof byte[] b ? new String(b, StandardCharsets.ISO_8859_1) : o;
    }

    private static Object integer(BigInteger v) {
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private static Object littleEndianInteger(byte[] le) {
        if (le.length == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        return integer(new BigInteger(be));
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop(long at) {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw fail(at, "stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek(long at) {
        if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
            throw fail(at, "stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark(long at) {
        if (marks.isEmpty()) {
            throw fail(at, "no MARK on the stack");
        }
        int m = marks.pop();
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private Object memoGet(long key, long at) {
        if (!memo.containsKey(key)) {
            throw fail(at, "memo key " + key + " not set");
        }
        return memo.get(key);
    }

    private int u8() throws IOException {
        int b = in.read();
        if (b < 0) {
            throw new EOFException(source + ": pickle ends early at byte " + offset);
        }
        offset++;
        return b;
    }

    private long u32() throws IOException {
        long v = Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
        offset += 4;
        return v;
    }

    private long u64() throws IOException {
        long v = Long.reverseBytes(in.readLong());
        offset += 8;
        return v;
    }

    private int length(long n, long at) {
        if (n < 0 || n > Integer.MAX_VALUE - 8) {
            throw fail(at, "value of " + n + " bytes is too large");
        }
        return (int) n;
    }

    private byte[] bytes(int n) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException(
                    source
                            + ": pickle ends early at byte "
                            + (offset + b.length)
                            + " (a value of "
                            + n
                            + " bytes was cut off)");
        }
        offset += n;
        return b;
    }

    private String line() throws IOException {
        StringBuilder s = new StringBuilder();
        for (int c = u8(); c != '\n'; c = u8()) {
            s.append((char) c);
        }
        return s.toString();
    }

    /** A text-protocol integer (INT, PUT, GET); pickle writes them in decimal. */
    private long decimal(String line, long at) {
        try {
            return Long.parseLong(line.strip());
        } catch (NumberFormatException e) {
            throw fail(at, "not a decimal integer: " + shown(line));
        }
    }

    private BigInteger bigDecimal(String line, long at) {
        // BigInteger parsing is quadratic in the digits; no real pickle holds a longer LONG.
        if (line.length() > 10_000) {
            throw fail(at, "LONG of " + line.length() + " digits is too long");
        }
        try {
            return new BigInteger(line.strip());
        } catch (NumberFormatException e) {
            throw fail(at, "not a decimal integer: " + shown(line));
        }
    }

    private double floating(String line, long at) {
        try {
            return Double.parseDouble(line);
        } catch (NumberFormatException e) {
            throw fail(at, "not a float: " + shown(line));
        }
    }

    private static String shown(String line) {
        return "'" + (line.length() <= 40 ? line : line.substring(0, 37) + "...") + "'";
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String typeName(Object o) {
        if (o instanceof Global g) {
            return g.qualifiedName();
        }
        return o == null ? "None" : o.getClass().getSimpleName();
    }

    private static String opcodeName(int op) {
        String name =
                switch (op) {
                    case 'i' -> "INST";
                    case 'o' -> "OBJ";
                    case 0x81 -> "NEWOBJ";
                    case 0x92 -> "NEWOBJ_EX";
                    case 'P' -> "PERSID";
                    case 'Q' -> "BINPERSID";
                    case 0x82, 0x83, 0x84 -> "EXT";
                    case 0x97 -> "NEXT_BUFFER";
                    case 0x98 -> "READONLY_BUFFER";
                    case 'S' -> "STRING";
                    case 'V' -> "UNICODE";
                    case 0x8f, 0x90, 0x91 -> "set";
                    default -> "unknown";
                };
        return String.format("0x%02x (%s)", op, name);
    }

    private CareException fail(long at, String problem) {
        return new CareException(source + ": byte " + at + ": " + problem);
    }
}
