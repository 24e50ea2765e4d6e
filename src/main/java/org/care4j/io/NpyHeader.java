package org.care4j.io;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The header dictionary of a {@code .npy} file, for example
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }}.
 *
 * <p>The dictionary is a Python literal. It is read by a strict parser for exactly the subset NumPy writes:
 * one dict whose keys are the three strings {@code descr}, {@code fortran_order} and {@code shape}, with a
 * quoted string, {@code True}/{@code False} and a tuple of non-negative integers as values. Anything else
 * (lists, nested dicts, expressions, escapes, extra or missing keys) is refused, so nothing in a file is ever
 * evaluated.
 *
 * @param descr the dtype descriptor as written, e.g. {@code '<f4'}, {@code '>i8'}, {@code '|b1'}
 * @param dtype the element type the descriptor names
 * @param order the byte order of multi-byte elements (little-endian for one-byte types)
 * @param fortranOrder whether the data is stored column-major
 * @param shape the extent of each dimension, outermost first
 */
record NpyHeader(String descr, DType dtype, ByteOrder order, boolean fortranOrder, long[] shape) {

    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");

    /**
     * Parses the header text (everything between the length field and the data).
     *
     * @throws MalformedFileException naming {@code source} if the text is not a header this package reads
     */
    static NpyHeader parse(String text, String source) throws MalformedFileException {
        return new Parser(text, source).header();
    }

    /**
     * A header for writing.
     *
     * @throws IllegalArgumentException if {@code descr} is not a supported descriptor or a dimension is negative
     */
    static NpyHeader of(String descr, long[] shape, boolean fortranOrder) {
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + formatShape(shape));
            }
        }
        Element element = resolve(descr);
        return new NpyHeader(descr, element.dtype, element.order, fortranOrder, shape.clone());
    }

    /**
     * Number of elements, the product of the shape.
     *
     * @throws ArithmeticException if it overflows a long
     */
    long elements() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The dictionary as NumPy writes it, without padding or the final newline. */
    String format() {
        return "{'descr': '" + descr + "', 'fortran_order': " + (fortranOrder ? "True" : "False")
                + ", 'shape': " + formatShape(shape) + ", }";
    }

    /** A shape as a Python tuple: {@code ()}, {@code (3,)}, {@code (3, 4)}. */
    static String formatShape(long[] shape) {
        StringBuilder out = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            out.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return out.append(shape.length == 1 ? ",)" : ")").toString();
    }

    private record Element(DType dtype, ByteOrder order) {}

    /** Maps a descriptor such as {@code '<f4'} to its type and byte order; the message says what is wrong. */
    private static Element resolve(String descr) {
        if (descr.isEmpty()) {
            throw new IllegalArgumentException("empty dtype descr");
        }
        char orderChar = descr.charAt(0);
        boolean hasOrder = orderChar == '<' || orderChar == '>' || orderChar == '|' || orderChar == '=';
        String body = hasOrder ? descr.substring(1) : descr;
        if (body.startsWith("O")) {
            throw new IllegalArgumentException("dtype descr '" + descr + "' is a pickled object array;"
                    + " refusing to unpickle it (store plain numeric arrays instead)");
        }
        DType dtype = switch (body) {
            case "b1" -> DType.BOOL;
            case "u1" -> DType.U8;
            case "i1" -> DType.I8;
            case "i2" -> DType.I16;
            case "i4" -> DType.I32;
            case "i8" -> DType.I64;
            case "u2" -> DType.U16;
            case "u4" -> DType.U32;
            case "f2" -> DType.F16;
            case "f4" -> DType.F32;
            case "f8" -> DType.F64;
            default -> throw new IllegalArgumentException("unsupported dtype descr '" + descr
                    + "' (supported: b1, u1, u2, u4, i1, i2, i4, i8, f2, f4, f8)");
        };
        if (!hasOrder) {
            throw new IllegalArgumentException("dtype descr '" + descr + "' has no byte order character");
        }
        if (orderChar == '|' && dtype.bytes() > 1) {
            throw new IllegalArgumentException("dtype descr '" + descr + "' gives no byte order for "
                    + dtype.bytes() + "-byte elements");
        }
        ByteOrder order = switch (orderChar) {
            case '>' -> ByteOrder.BIG_ENDIAN;
            case '=' -> ByteOrder.nativeOrder();
            default -> ByteOrder.LITTLE_ENDIAN;
        };
        return new Element(dtype, order);
    }

    /** Recursive descent over the header text; {@code pos} is the next unread character. */
    private static final class Parser {

        private final String text;
        private final String source;
        private int pos;

        Parser(String text, String source) {
            this.text = text;
            this.source = source;
        }

        NpyHeader header() throws MalformedFileException {
            skipSpace();
            expect('{');
            Map<String, Object> values = new LinkedHashMap<>();
            skipSpace();
            while (peek() != '}') {
                int keyAt = pos;
                String key = string();
                if (!KEYS.contains(key)) {
                    pos = keyAt;
                    throw fail("unknown key '" + key + "' (a .npy header has exactly descr, fortran_order, shape)");
                }
                skipSpace();
                expect(':');
                skipSpace();
                Object value = value(key);
                if (values.put(key, value) != null) {
                    pos = keyAt;
                    throw fail("duplicate key '" + key + "'");
                }
                skipSpace();
                if (peek() == ',') {
                    pos++;
                    skipSpace();
                } else if (peek() != '}') {
                    throw fail("expected ',' or '}'");
                }
            }
            pos++;
            skipSpace();
            if (pos != text.length()) {
                throw fail("unexpected text after the dictionary");
            }
            for (String key : KEYS) {
                if (!values.containsKey(key)) {
                    throw fail("missing key '" + key + "'");
                }
            }
            String descr = (String) values.get("descr");
            Element element;
            try {
                element = resolve(descr);
            } catch (IllegalArgumentException e) {
                throw new MalformedFileException(source, e.getMessage());
            }
            return new NpyHeader(descr, element.dtype, element.order, (Boolean) values.get("fortran_order"),
                    (long[]) values.get("shape"));
        }

        private Object value(String key) throws MalformedFileException {
            char c = peek();
            Object value;
            if (c == '\'' || c == '"') {
                value = string();
            } else if (text.startsWith("True", pos)) {
                pos += 4;
                value = Boolean.TRUE;
            } else if (text.startsWith("False", pos)) {
                pos += 5;
                value = Boolean.FALSE;
            } else if (c == '(') {
                value = tuple();
            } else if (c == '[' && key.equals("descr")) {
                throw fail("descr is a list, i.e. a structured dtype, which is not supported");
            } else {
                throw fail("unsupported value for '" + key + "'");
            }
            Class<?> expected = switch (key) {
                case "descr" -> String.class;
                case "fortran_order" -> Boolean.class;
                default -> long[].class;
            };
            if (!expected.isInstance(value)) {
                throw fail("'" + key + "' must be " + switch (key) {
                    case "descr" -> "a string";
                    case "fortran_order" -> "True or False";
                    default -> "a tuple of integers";
                });
            }
            return value;
        }

        private String string() throws MalformedFileException {
            char quote = peek();
            if (quote != '\'' && quote != '"') {
                throw fail("expected a quoted string");
            }
            int start = ++pos;
            while (pos < text.length() && text.charAt(pos) != quote) {
                char c = text.charAt(pos);
                if (c == '\\' || c == '\n' || c == '\r') {
                    throw fail("escape sequences and line breaks in strings are not supported");
                }
                pos++;
            }
            if (pos >= text.length()) {
                pos = start - 1;
                throw fail("unterminated string");
            }
            return text.substring(start, pos++);
        }

        private long[] tuple() throws MalformedFileException {
            int start = pos;
            expect('(');
            skipSpace();
            List<Long> dims = new ArrayList<>();
            boolean trailingComma = false;
            while (peek() != ')') {
                dims.add(integer());
                skipSpace();
                trailingComma = false;
                if (peek() == ',') {
                    pos++;
                    trailingComma = true;
                    skipSpace();
                } else if (peek() != ')') {
                    throw fail("expected ',' or ')' in shape");
                }
            }
            pos++;
            if (dims.size() == 1 && !trailingComma) {
                pos = start;
                throw fail("shape is a parenthesised integer, not a tuple (a 1-tuple is written (n,))");
            }
            long[] shape = new long[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = dims.get(i);
            }
            return shape;
        }

        private long integer() throws MalformedFileException {
            int start = pos;
            while (pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '9') {
                pos++;
            }
            if (pos == start) {
                throw fail("expected a non-negative integer");
            }
            String digits = text.substring(start, pos);
            if (digits.length() > 1 && digits.charAt(0) == '0') {
                pos = start;
                throw fail("integer with leading zero");
            }
            // Python 2 wrote long integers with an L suffix; NumPy still reads such headers.
            if (peek() == 'L') {
                pos++;
            }
            try {
                return Long.parseLong(digits);
            } catch (NumberFormatException e) {
                pos = start;
                throw fail("dimension " + digits + " is too large");
            }
        }

        private void expect(char c) throws MalformedFileException {
            if (peek() != c) {
                throw fail("expected '" + c + "'");
            }
            pos++;
        }

        private char peek() {
            return pos < text.length() ? text.charAt(pos) : '\0';
        }

        private void skipSpace() {
            while (pos < text.length() && " \t\r\n".indexOf(text.charAt(pos)) >= 0) {
                pos++;
            }
        }

        private MalformedFileException fail(String problem) {
            String where = pos >= text.length() ? "at the end" : "at character " + pos;
            return new MalformedFileException(source, "npy header: " + problem + " " + where + " of "
                    + excerpt(text));
        }

        private static String excerpt(String text) {
            String shown = text.length() > 160 ? text.substring(0, 160) + "..." : text;
            StringBuilder out = new StringBuilder("\"");
            for (int i = 0; i < shown.length(); i++) {
                char c = shown.charAt(i);
                out.append(c >= 0x20 && c < 0x7F ? c : '?');
            }
            return out.append('"').toString();
        }
    }
}
