package org.care4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.care4j.runtime.CareException;
import org.junit.jupiter.api.Test;

/**
 * Feeds {@link RunConfig#parse} 10,000 mutations of the configs shipped in {@code configs/} from a
 * fixed seed: values swapped for values of other types or out of range, keys renamed, removed or
 * repeated, characters and spans edited, JSON fragments inserted (deep nesting, huge numbers, long
 * strings, control characters). Every input must end in a config that survives its own round trip
 * ({@code toJson} read back gives an equal config) or in a {@link CareException} whose message starts
 * with the source; any other exception, a hang or an out-of-memory error fails the test with the case
 * and its text. The budget is 2 ms per case (20 s), several times what the cases take on a busy
 * two-core machine.
 */
class ConfigParserFuzzTest {

    // -Dcare.fuzz.cases and -Dcare.fuzz.seed run a longer or different campaign by hand.
    private static final int CASES = Integer.getInteger("care.fuzz.cases", 10_000);
    private static final long SEED = Long.getLong("care.fuzz.seed", 20_240_613L);
    private static final Duration BUDGET = Duration.ofMillis(2L * CASES);

    private static final String[] VALUES = {
        "0", "-1", "1", "2", "64", "0.5", "-0.0", "1e3", "1E-400", "1e400", "64.0", "2147483648",
        "-2147483649", "9223372036854775808", "123456789012345678901234567890", "NaN", "Infinity",
        "true", "false", "null", "\"\"", "\" \"", "\"cifar224\"", "\"covariance\"", "\"variance\"",
        "\"sgd\"", "\"COSINE\"", "\"64\"", "\"/\"", "\"\\u0000\"", "\"..\"", "[]", "[1993]", "[1, 2]",
        "[\"0\"]", "[1.5]", "[null]", "{}", "{\"a\": 1}", "[[1]]"
    };

    private static final String[] KEYS = {
        "dataset", "init_cls", "increment", "seed", "tuned_epoch", "init_lr", "batch_size",
        "crct_epochs", "ca_lr", "ca_storage_efficient_method", "decay", "min_lr", "device", "method",
        "backbone", "data_root", "image_size", "covariance_storage", "decay_mode", "drop", "scale",
        "init_milestones", "topk_experts", "unknown_key", "", "__proto__"
    };

    private static final String[] FRAGMENTS = {
        "{", "}", "[", "]", "\"", ",", ":", "null", "true", "-", "\\", "\\u", "/*", "//", "\n", "\t",
        "\u0000", "\uffff", "\ud800", "0x10", "+1", ".5", "01", "'a'"
    };

    private static final String PUNCTUATION = "{}[]\":,0123456789-.e ";

    private static final Pattern VALUE = Pattern.compile(
            ":\\s*(\"[^\"]*\"|-?[0-9][0-9.eE+-]*|true|false|null|\\[[^\\[\\]]*\\])");
    private static final Pattern KEY = Pattern.compile("\"([a-z_]+)\"\\s*:");

    private final Random random = new Random(SEED);

    @Test
    void configParserSurvivesMutatedConfigs() throws IOException {
        List<String> bases = new ArrayList<>();
        try (Stream<Path> files = Stream.concat(Files.list(Path.of("configs")), Files.list(Path.of("configs/cpu")))) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".json")).sorted()::iterator) {
                bases.add(Files.readString(f));
            }
        }
        assertTrue(bases.size() >= 10, "configs/ holds " + bases.size() + " configs");
        Path base = Path.of("/runs/configs");
        int[] outcomes = new int[2];
        assertTimeoutPreemptively(BUDGET, () -> {
            for (int i = 0; i < CASES; i++) {
                String text = bases.get(random.nextInt(bases.size()));
                StringBuilder description = new StringBuilder();
                int edits = 1 + random.nextInt(3);
                for (int e = 0; e < edits; e++) {
                    text = mutate(text, description);
                }
                String source = "case" + i + ".json";
                try {
                    RunConfig config = RunConfig.parse(text, source, base);
                    RunConfig again = RunConfig.fromJson(config.toJson(), source + " (round trip)", base);
                    assertEquals(config, again, "round trip");
                    config.toString();
                    outcomes[0]++;
                } catch (CareException e) {
                    assertTrue(e.getMessage().startsWith(source + ": "), e.getMessage());
                    outcomes[1]++;
                } catch (Throwable t) {
                    fail("config case " + i + " (" + description + ") threw " + t + "; input: " + shown(text), t);
                }
            }
        });
        assertEquals(CASES, outcomes[0] + outcomes[1]);
        assertTrue(outcomes[0] > CASES / 50, "only " + outcomes[0] + " configs accepted");
        assertTrue(outcomes[1] > CASES / 2, "only " + outcomes[1] + " configs rejected");
    }

    private String mutate(String text, StringBuilder description) {
        int kind = random.nextInt(100);
        if (kind < 35) {
            return replace(text, VALUE, 1, VALUES[random.nextInt(VALUES.length)], "value", description);
        }
        if (kind < 45) {
            return replace(text, KEY, 1, KEYS[random.nextInt(KEYS.length)], "key", description);
        }
        if (kind < 50) {
            // A repeated key (refused by strict duplicate detection) or a new key with any value.
            String key = KEYS[random.nextInt(KEYS.length)];
            String value = VALUES[random.nextInt(VALUES.length)];
            int brace = text.indexOf('{');
            description.append(" add ").append(key);
            return brace < 0 ? text
                    : text.substring(0, brace + 1) + "\"" + key + "\": " + value + "," + text.substring(brace + 1);
        }
        if (kind < 53) {
            int depth = 1 + random.nextInt(3000);
            String open = random.nextBoolean() ? "[" : "{\"a\":";
            String close = open.equals("[") ? "]" : "}";
            description.append(" nest ").append(depth);
            return replace(text, VALUE, 1, open.repeat(depth) + "1" + close.repeat(depth), "nested", description);
        }
        if (kind < 55) {
            int length = 1 + random.nextInt(5000);
            String digits = "9".repeat(length);
            description.append(" digits ").append(length);
            return replace(text, VALUE, 1, random.nextBoolean() ? digits : "0." + digits + "e-99999", "long",
                    description);
        }
        if (kind < 57) {
            int length = random.nextInt(200_000);
            description.append(" string ").append(length);
            return replace(text, VALUE, 1, "\"" + "x".repeat(length) + "\"", "long string", description);
        }
        if (text.isEmpty()) {
            return FRAGMENTS[random.nextInt(FRAGMENTS.length)];
        }
        int at = random.nextInt(text.length());
        if (kind < 72) {
            char c = (char) (random.nextBoolean() ? random.nextInt(128)
                    : PUNCTUATION.charAt(random.nextInt(PUNCTUATION.length())));
            description.append(" set@").append(at);
            return text.substring(0, at) + c + text.substring(at + 1);
        }
        if (kind < 82) {
            int end = Math.min(text.length(), at + 1 + random.nextInt(20));
            description.append(" delete@").append(at).append('-').append(end);
            return text.substring(0, at) + text.substring(end);
        }
        if (kind < 90) {
            int end = Math.min(text.length(), at + 1 + random.nextInt(40));
            int to = random.nextInt(text.length() + 1);
            description.append(" copy@").append(at).append("->").append(to);
            return text.substring(0, to) + text.substring(at, end) + text.substring(to);
        }
        if (kind < 95) {
            int cut = random.nextInt(text.length());
            description.append(" truncate ").append(cut);
            return text.substring(0, cut);
        }
        String fragment = FRAGMENTS[random.nextInt(FRAGMENTS.length)];
        description.append(" insert@").append(at);
        return text.substring(0, at) + fragment + text.substring(at);
    }

    private String replace(String text, Pattern pattern, int group, String replacement, String what,
            StringBuilder description) {
        List<int[]> spans = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            spans.add(new int[] {m.start(group), m.end(group)});
        }
        if (spans.isEmpty()) {
            return text;
        }
        int[] span = spans.get(random.nextInt(spans.size()));
        description.append(' ').append(what).append('@').append(span[0]).append('=')
                .append(replacement.length() <= 20 ? replacement : replacement.substring(0, 20) + "...");
        return text.substring(0, span[0]) + replacement + text.substring(span[1]);
    }

    private static String shown(String text) {
        return text.length() <= 4000 ? text : text.substring(0, 4000) + "... (" + text.length() + " chars)";
    }
}
