package org.care4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.care4j.config.RunConfig;
import org.care4j.runtime.CareException;

/** What several subcommands parse the same way: environment paths and {@code --set KEY=VALUE} overrides. */
final class Commands {

    private Commands() {}

    /** A path from an environment variable, or null when it is unset or blank. */
    static Path env(String name) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? null : Path.of(v);
    }

    /** The config with {@code --set} values, typed as JSON would type them (numbers, booleans, text). */
    static RunConfig withOverrides(RunConfig config, Map<String, String> overrides) {
        if (overrides.isEmpty()) {
            return config;
        }
        Map<String, Object> typed = new LinkedHashMap<>();
        overrides.forEach((k, v) -> typed.put(k, parse(v)));
        try {
            return config.withOverrides(typed, "--set");
        } catch (IllegalArgumentException e) {
            throw new CareException("--set: " + e.getMessage());
        }
    }

    private static Object parse(String v) {
        if (v.equals("true") || v.equals("false")) {
            return Boolean.parseBoolean(v);
        }
        try {
            // Not a conditional expression: "c ? Double : Long" would promote the Long to a double.
            if (v.contains(".") || v.contains("e")) {
                return Double.parseDouble(v);
            }
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return v;
        }
    }
}
