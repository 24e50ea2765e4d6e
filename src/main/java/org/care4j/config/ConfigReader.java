package org.care4j.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.care4j.runtime.CareException;

/**
 * Typed, validating access to the keys of one JSON config object.
 *
 * <p>Every failure is a {@link CareException} of the form
 * {@code SOURCE: key "KEY": expected WHAT, got VALUE}, where VALUE is the JSON text of what the file holds,
 * so a string {@code "64"} keeps its quotes. The reader remembers which keys were asked for, so that the
 * rest can be reported as unknown.
 */
final class ConfigReader {

    private static final int MAX_SHOWN_VALUE = 60;

    private final ObjectNode root;
    private final String source;
    private final Path baseDir;
    private final Set<String> read = new HashSet<>();

    ConfigReader(ObjectNode root, String source, Path baseDir) {
        this.root = root;
        this.source = source;
        this.baseDir = baseDir;
    }

    String source() {
        return source;
    }

    /** Keys present in the object that no accessor asked for, in file order. */
    List<String> unreadKeys() {
        List<String> unread = new ArrayList<>();
        root.fieldNames().forEachRemaining(key -> {
            if (!read.contains(key)) {
                unread.add(key);
            }
        });
        return unread;
    }

    String string(String key, String fallback) {
        JsonNode node = lookUp(key, "a string", fallback == null);
        if (node == null) {
            return fallback;
        }
        if (!node.isTextual()) {
            throw failure(key, "a string", node);
        }
        return node.textValue();
    }

    String nonEmptyString(String key, String fallback) {
        String value = string(key, fallback);
        if (value.isBlank()) {
            throw failure(key, "a non-empty string", root.get(key));
        }
        return value;
    }

    boolean bool(String key, Boolean fallback) {
        JsonNode node = lookUp(key, "true or false", fallback == null);
        if (node == null) {
            return fallback;
        }
        if (!node.isBoolean()) {
            throw failure(key, "true or false", node);
        }
        return node.booleanValue();
    }

    /** An integer of at least {@code min}; JSON numbers with a fraction part, even {@code .0}, are refused. */
    int integer(String key, int min, Integer fallback) {
        String expected = integerWording(min);
        JsonNode node = lookUp(key, expected, fallback == null);
        if (node == null) {
            return fallback;
        }
        return integerValue(key, node, min, expected);
    }

    /** A finite number of at least {@code min} (or above it when {@code minExclusive}). */
    double number(String key, double min, boolean minExclusive, Double fallback) {
        String expected = minExclusive && min == 0 ? "a positive number"
                : min == 0 ? "a non-negative number"
                : "a number " + (minExclusive ? "above " : "of at least ") + min;
        JsonNode node = lookUp(key, expected, fallback == null);
        if (node == null) {
            return fallback;
        }
        if (!node.isNumber()) {
            throw failure(key, expected, node);
        }
        double value = node.doubleValue();
        if (!Double.isFinite(value) || value < min || (minExclusive && value == min)) {
            throw failure(key, expected, node);
        }
        return value;
    }

    /** A number in [0, 1), used for dropout rates. */
    double rate(String key, double fallback) {
        String expected = "a number in [0, 1)";
        JsonNode node = lookUp(key, expected, false);
        if (node == null) {
            return fallback;
        }
        if (!node.isNumber() || !(node.doubleValue() >= 0 && node.doubleValue() < 1)) {
            throw failure(key, expected, node);
        }
        return node.doubleValue();
    }

    /** One of the enum's constants, written in lower case in the file (exactly, as the reference compares). */
    <E extends Enum<E>> E choice(String key, Class<E> type, E fallback) {
        E[] constants = type.getEnumConstants();
        String expected = "one of " + Arrays.stream(constants)
                .map(c -> "\"" + jsonName(c) + "\"")
                .collect(Collectors.joining(", "));
        JsonNode node = lookUp(key, expected, fallback == null);
        if (node == null) {
            return fallback;
        }
        if (node.isTextual()) {
            for (E constant : constants) {
                if (jsonName(constant).equals(node.textValue())) {
                    return constant;
                }
            }
        }
        throw failure(key, expected, node);
    }

    /** A list of integers of at least {@code min}; an empty list is allowed. */
    List<Integer> integerList(String key, int min, List<Integer> fallback) {
        String expected = "a list of " + integerWording(min).replaceFirst("^an? ", "") + "s";
        JsonNode node = lookUp(key, expected, fallback == null);
        if (node == null) {
            return fallback;
        }
        if (!node.isArray()) {
            throw failure(key, expected, node);
        }
        List<Integer> values = new ArrayList<>();
        for (JsonNode element : node) {
            if (!element.isIntegralNumber() || !element.canConvertToInt() || element.intValue() < min) {
                throw failure(key, expected, node);
            }
            values.add(element.intValue());
        }
        return List.copyOf(values);
    }

    /** A non-empty list of integers, or a single integer read as a list of one (the seed key allows both). */
    List<Integer> integerOrList(String key) {
        String expected = "an integer or a non-empty list of integers";
        JsonNode node = lookUp(key, expected, true);
        if (node.isIntegralNumber() && node.canConvertToInt()) {
            return List.of(node.intValue());
        }
        if (!node.isArray() || node.isEmpty()) {
            throw failure(key, expected, node);
        }
        List<Integer> values = new ArrayList<>();
        for (JsonNode element : node) {
            if (!element.isIntegralNumber() || !element.canConvertToInt()) {
                throw failure(key, expected, node);
            }
            values.add(element.intValue());
        }
        return List.copyOf(values);
    }

    /** Strings or integers, alone or in a list, kept as strings (PILOT's device list: ["0"], [0, 1], -1). */
    List<String> stringOrIntegerList(String key, List<String> fallback) {
        String expected = "a string, an integer, or a non-empty list of them";
        JsonNode node = lookUp(key, expected, fallback == null);
        if (node == null) {
            return fallback;
        }
        if (node.isTextual() || node.isIntegralNumber()) {
            return List.of(node.asText());
        }
        if (!node.isArray() || node.isEmpty()) {
            throw failure(key, expected, node);
        }
        List<String> values = new ArrayList<>();
        for (JsonNode element : node) {
            if (!element.isTextual() && !element.isIntegralNumber()) {
                throw failure(key, expected, node);
            }
            values.add(element.asText());
        }
        return List.copyOf(values);
    }

    /**
     * A file or folder path; relative paths are resolved against the folder of the config file. JSON
     * {@code null} and an absent key both mean "not given".
     */
    Optional<Path> path(String key) {
        String expected = "a path (string) or null";
        JsonNode node = lookUp(key, expected, false);
        if (node == null || node.isNull()) {
            return Optional.empty();
        }
        if (!node.isTextual() || node.textValue().isBlank()) {
            throw failure(key, expected, node);
        }
        try {
            return Optional.of(baseDir.resolve(node.textValue()).toAbsolutePath().normalize());
        } catch (java.nio.file.InvalidPathException e) {
            throw failure(key, "a valid path", node);
        }
    }

    /** The value as the file holds it, for cross-field messages. */
    JsonNode raw(String key) {
        return root.get(key);
    }

    CareException failure(String key, String expected, JsonNode got) {
        return new CareException(source + ": key \"" + key + "\": expected " + expected + ", got " + shown(got));
    }

    static <E extends Enum<E>> String jsonName(E constant) {
        return constant.name().toLowerCase(Locale.ROOT);
    }

    private JsonNode lookUp(String key, String expected, boolean required) {
        read.add(key);
        JsonNode node = root.get(key);
        if (node == null) {
            if (required) {
                throw new CareException(source + ": key \"" + key + "\" is missing: expected " + expected);
            }
            return null;
        }
        return node;
    }

    private int integerValue(String key, JsonNode node, int min, String expected) {
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < min) {
            throw failure(key, expected, node);
        }
        return node.intValue();
    }

    private static String integerWording(int min) {
        if (min == 1) {
            return "a positive integer";
        }
        if (min == 0) {
            return "a non-negative integer";
        }
        return "an integer of at least " + min;
    }

    private static String shown(JsonNode node) {
        String text = node == null ? "nothing" : node.toString();
        return text.length() <= MAX_SHOWN_VALUE ? text : text.substring(0, MAX_SHOWN_VALUE - 3) + "...";
    }
}
