package org.care4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.care4j.runtime.CareException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RunConfigTest {

    /** The eleven required keys, as JSON text, with the values of the ImageNet-R inc20 config. */
    private static final Map<String, String> REQUIRED = requiredKeys();

    private static final Path BASE = Path.of("/runs/configs");

    private static Map<String, String> requiredKeys() {
        Map<String, String> keys = new LinkedHashMap<>();
        keys.put("dataset", "\"imagenetr\"");
        keys.put("init_cls", "20");
        keys.put("increment", "20");
        keys.put("seed", "[1993]");
        keys.put("tuned_epoch", "60");
        keys.put("init_lr", "0.02");
        keys.put("batch_size", "32");
        keys.put("crct_epochs", "30");
        keys.put("ca_lr", "0.005");
        keys.put("ca_storage_efficient_method", "\"covariance\"");
        keys.put("decay", "true");
        return keys;
    }

    /** The required keys with some replaced (a null value removes the key), plus extra text. */
    private static String json(Map<String, String> replaced, String extra) {
        Map<String, String> keys = new LinkedHashMap<>(REQUIRED);
        replaced.forEach((key, value) -> {
            if (value == null) {
                keys.remove(key);
            } else {
                keys.put(key, value);
            }
        });
        StringBuilder body = new StringBuilder();
        keys.forEach((key, value) -> body.append(body.length() == 0 ? "" : ", ")
                .append('"').append(key).append("\": ").append(value));
        if (!extra.isEmpty()) {
            body.append(", ").append(extra);
        }
        return "{" + body + "}";
    }

    private static RunConfig parse(String extra) {
        return RunConfig.parse(json(Map.of(), extra), "configs/x.json", BASE);
    }

    private static String errorOf(String extra) {
        return assertThrows(CareException.class, () -> parse(extra)).getMessage();
    }

    /** The message for the required keys with {@code key} set to {@code value}, or removed when null. */
    private static String errorWith(String key, String value) {
        Map<String, String> replaced = new java.util.HashMap<>();
        replaced.put(key, value);
        String text = json(replaced, "");
        return assertThrows(CareException.class, () -> RunConfig.parse(text, "configs/x.json", BASE))
                .getMessage();
    }

    private static RunConfig with(String key, String value) {
        return RunConfig.parse(json(Map.of(key, value), ""), "configs/x.json", BASE);
    }

    @Test
    void minimalConfigTakesTheSharedPublishedDefaults() {
        RunConfig c = parse("");
        assertEquals("imagenetr", c.dataset());
        assertEquals(List.of(1993), c.seeds());
        assertEquals(RunConfig.Optimizer.SGD, c.optimizer());
        assertEquals(RunConfig.Scheduler.COSINE, c.scheduler());
        assertEquals(5e-4, c.weightDecay());
        assertEquals(0.0, c.minLr());
        assertEquals(16, c.expertDim());
        assertEquals(64, c.adapterDim());
        assertEquals(3, c.topkExperts());
        assertEquals(2, c.topkRouters());
        assertEquals(20.0, c.scale());
        assertEquals(0.0, c.margin());
        assertTrue(c.iterPred());
        assertTrue(c.auxCosLoss());
        assertTrue(c.selfDistLoss());
        assertFalse(c.amp());
        assertEquals(RunConfig.Method.CARE, c.method());
        assertEquals(Optional.empty(), c.backbone());
        assertEquals(Optional.empty(), c.dataRoot());
        assertEquals(224, c.imageSize());
        assertEquals(0, c.imagesPerClass());
        assertEquals(0, c.testImagesPerClass());
        assertEquals(0, c.threads());
        assertEquals(1, c.evalEvery());
        assertEquals(RunConfig.CovarianceStorage.PACKED, c.covarianceStorage());
        assertEquals(RunConfig.DecayMode.REFERENCE, c.decayMode());
        assertEquals(0, c.maxTasks());
        assertEquals(0, c.workers());
        assertEquals(List.of(), c.warnings());
        assertEquals("configs/x.json", c.source());
    }

    @Test
    void readsEveryOwnKey() {
        RunConfig c = parse("""
                "method": "aper_adapter", "backbone": "../models/vit.safetensors", "data_root": "/data/inr",
                "image_size": 32, "images_per_class": 5, "test_images_per_class": 2, "threads": 2,
                "eval_every": 10, "covariance_storage": "half", "decay_mode": "positive", "max_tasks": 3,
                "workers": 4""");
        assertEquals(RunConfig.Method.APER_ADAPTER, c.method());
        assertEquals(Optional.of(Path.of("/runs/models/vit.safetensors")), c.backbone());
        assertEquals(Optional.of(Path.of("/data/inr")), c.dataRoot());
        assertEquals(32, c.imageSize());
        assertEquals(5, c.imagesPerClass());
        assertEquals(2, c.testImagesPerClass());
        assertEquals(2, c.threads());
        assertEquals(10, c.evalEvery());
        assertEquals(RunConfig.CovarianceStorage.HALF, c.covarianceStorage());
        assertEquals(RunConfig.DecayMode.POSITIVE, c.decayMode());
        assertEquals(3, c.maxTasks());
        assertEquals(4, c.workers());
    }

    @Test
    void singleSeedIsAListOfOne() {
        assertEquals(List.of(1990), with("seed", "1990").seeds());
        assertEquals(List.of(1990, 1996, 1999), with("seed", "[1990, 1996, 1999]").seeds());
    }

    @Test
    void deviceAcceptsPilotsForms() {
        assertEquals(List.of("0", "1"), parse("\"device\": [\"0\", \"1\"]").device());
        assertEquals(List.of("-1"), parse("\"device\": -1").device());
        assertEquals(List.of("0"), parse("\"device\": [0]").device());
    }

    @Test
    void unknownKeysAreListedAsWarnings() {
        RunConfig c = parse("\"ffn_num\": 16, \"ensemble\": true");
        assertEquals(List.of("configs/x.json: unknown key \"ffn_num\" is ignored",
                "configs/x.json: unknown key \"ensemble\" is ignored"), c.warnings());
    }

    @Test
    void wrongTypesNameFileKeyValueAndExpectation() {
        assertEquals("configs/x.json: key \"batch_size\": expected a positive integer, got \"64\"",
                errorWith("batch_size", "\"64\""));
        assertEquals("configs/x.json: key \"batch_size\": expected a positive integer, got 64.0",
                errorWith("batch_size", "64.0"));
        assertEquals("configs/x.json: key \"decay\": expected true or false, got \"true\"",
                errorWith("decay", "\"true\""));
        assertEquals("configs/x.json: key \"init_lr\": expected a non-negative number, got \"0.02\"",
                errorWith("init_lr", "\"0.02\""));
        assertEquals("configs/x.json: key \"dataset\": expected a string, got 5", errorWith("dataset", "5"));
        assertEquals("configs/x.json: key \"seed\": expected an integer or a non-empty list of integers, "
                + "got [\"1993\"]", errorWith("seed", "[\"1993\"]"));
        assertEquals("configs/x.json: key \"init_milestones\": expected a list of non-negative integers, "
                + "got 10", errorOf("\"init_milestones\": 10"));
        assertEquals("configs/x.json: key \"device\": expected a string, an integer, or a non-empty list "
                + "of them, got {\"gpu\":0}", errorOf("\"device\": {\"gpu\": 0}"));
        assertEquals("configs/x.json: key \"backbone\": expected a path (string) or null, got 3",
                errorOf("\"backbone\": 3"));
        assertEquals("configs/x.json: key \"amp\": expected true or false, got null", errorOf("\"amp\": null"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "tuned_epoch    | -1      | a non-negative integer",
        "crct_epochs    | -3      | a non-negative integer",
        "batch_size     | 0       | a positive integer",
        "init_cls       | 0       | a positive integer",
        "increment      | 0       | a positive integer",
        "init_lr        | -0.1    | a non-negative number",
        "ca_lr          | -0.005  | a non-negative number",
        "seed           | []      | an integer or a non-empty list of integers",
        "dataset        | \"  \"  | a non-empty string",
    })
    void impossibleRequiredValuesAreRefused(String key, String value, String expected) {
        assertEquals("configs/x.json: key \"" + key + "\": expected " + expected + ", got " + value,
                errorWith(key, value));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
        "topk_experts       | 0          | a positive integer",
        "topk_routers       | 0          | a positive integer",
        "expert_dim         | 0          | a positive integer",
        "adapter_dim        | -16        | a positive integer",
        "weight_decay       | -0.0005    | a non-negative number",
        "min_lr             | -1         | a non-negative number",
        "scale              | 0          | a positive number",
        "m                  | -0.3       | a non-negative number",
        "init_lr_decay      | 0          | a positive number",
        "drop               | 1          | a number in [0, 1)",
        "drop_path          | -0.1       | a number in [0, 1)",
        "memory_size        | -1         | a non-negative integer",
        "image_size         | 0          | a positive integer",
        "images_per_class   | -5         | a non-negative integer",
        "eval_every         | 0          | a positive integer",
        "max_tasks          | -1         | a non-negative integer",
        "threads            | -2         | a non-negative integer",
        "workers            | -1         | a non-negative integer",
        "optimizer          | \"rmsprop\" | one of \"sgd\", \"adam\", \"adamw\"",
        "optimizer          | \"SGD\"     | one of \"sgd\", \"adam\", \"adamw\"",
        "scheduler          | \"linear\"  | one of \"cosine\", \"steplr\", \"constant\"",
        "method             | \"mos\"     | one of \"care\", \"simplecil\", \"aper_adapter\", \"finetune\"",
        "covariance_storage | \"dense\"   | one of \"full\", \"packed\", \"half\"",
        "decay_mode         | \"fixed\"   | one of \"reference\", \"positive\"",
    })
    void impossibleOptionalValuesAreRefused(String key, String value, String expected) {
        assertEquals("configs/x.json: key \"" + key + "\": expected " + expected + ", got " + value,
                errorOf("\"" + key + "\": " + value));
    }

    @Test
    void statisticsMethodMustBeCovarianceOrVariance() {
        assertEquals("configs/x.json: key \"ca_storage_efficient_method\": expected one of \"covariance\", "
                + "\"variance\", got \"multi-centroid\"", errorWith("ca_storage_efficient_method",
                "\"multi-centroid\""));
    }

    @Test
    void missingRequiredKeyIsNamed() {
        assertEquals("configs/x.json: key \"init_lr\" is missing: expected a non-negative number",
                errorWith("init_lr", null));
        assertEquals("configs/x.json: key \"ca_storage_efficient_method\" is missing: expected one of "
                + "\"covariance\", \"variance\"", errorWith("ca_storage_efficient_method", null));
        assertEquals("configs/x.json: key \"decay\" is missing: expected true or false",
                errorWith("decay", null));
    }

    @Test
    void firstTaskLargerThanTheKnownDatasetIsRefused() {
        assertEquals("configs/x.json: key \"init_cls\": expected at most 200 (the classes of dataset "
                + "\"imagenetr\"), got 201", errorWith("init_cls", "201"));
    }

    @Test
    void unknownDatasetIsCheckedOnceItsClassCountIsKnown() {
        String text = json(Map.of("dataset", "\"omniglot\"", "init_cls", "50"), "");
        RunConfig c = RunConfig.parse(text, "configs/omniglot.json", BASE);
        assertEquals(java.util.OptionalInt.empty(), c.knownClassCount());
        c.checkClassCount(964);
        CareException e = assertThrows(CareException.class, () -> c.checkClassCount(30));
        assertEquals("configs/omniglot.json: key \"init_cls\": expected at most 30 (the classes of dataset "
                + "\"omniglot\" as loaded), got 50", e.getMessage());
    }

    @Test
    void minimumLearningRateAboveTheStartIsRefused() {
        assertEquals("configs/x.json: key \"min_lr\": expected at most init_lr (0.02), got 0.1",
                errorOf("\"min_lr\": 0.1"));
    }

    @Test
    void malformedFilesAreRefusedWithTheFileName() {
        CareException notJson = assertThrows(CareException.class,
                () -> RunConfig.parse("{\"dataset\": }", "configs/bad.json", BASE));
        assertTrue(notJson.getMessage().startsWith("configs/bad.json: not valid JSON: "), notJson.getMessage());
        assertTrue(notJson.getMessage().contains("(line 1, column "), notJson.getMessage());
        CareException array = assertThrows(CareException.class,
                () -> RunConfig.parse("[1, 2]", "configs/list.json", BASE));
        assertEquals("configs/list.json: expected a JSON object at the top level, got array", array.getMessage());
        CareException twice = assertThrows(CareException.class,
                () -> RunConfig.parse("{\"seed\": 1, \"seed\": 2}", "configs/twice.json", BASE));
        assertTrue(twice.getMessage().startsWith("configs/twice.json: not valid JSON: Duplicate field 'seed'"),
                twice.getMessage());
    }

    @Test
    void missingFileIsNamed(@TempDir Path dir) {
        Path file = dir.resolve("none.json");
        CareException e = assertThrows(CareException.class, () -> RunConfig.load(file));
        assertEquals(file + ": config file not found", e.getMessage());
    }

    @Test
    void loadResolvesRelativePathsAgainstTheConfigFolder(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("configs/run.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, json(Map.of(), "\"backbone\": \"../models/b.safetensors\", "
                + "\"data_root\": \"data\""));
        RunConfig c = RunConfig.load(file);
        assertEquals(Optional.of(dir.resolve("models/b.safetensors").toAbsolutePath()), c.backbone());
        assertEquals(Optional.of(dir.resolve("configs/data").toAbsolutePath()), c.dataRoot());
        assertEquals(file.toString(), c.source());
    }

    @Test
    void toJsonIsFlatAndReadsBackEqual() {
        RunConfig c = parse("\"backbone\": \"/m/vit.safetensors\", \"eval_every\": 5, \"m\": 0.3");
        var json = c.toJson();
        assertEquals("imagenetr", json.get("dataset").textValue());
        assertEquals(0.3, json.get("m").doubleValue());
        assertEquals("/m/vit.safetensors", json.get("backbone").textValue());
        assertTrue(json.get("data_root").isNull());
        assertEquals("covariance", json.get("ca_storage_efficient_method").textValue());
        assertEquals(5, json.get("eval_every").intValue());
        assertEquals(1993, json.get("seed").get(0).intValue());
        json.fields().forEachRemaining(e -> assertFalse(e.getValue().isObject(), e.getKey() + " is nested"));
        assertEquals("prefix", json.fieldNames().next());
        RunConfig back = RunConfig.fromJson(json, "results.json", Path.of("/elsewhere"));
        assertEquals(c, back);
        assertEquals(List.of(), back.warnings());
        assertEquals(c, RunConfig.parse(c.toJsonString(), "again", Path.of("/")));
    }

    @Test
    void overridesAreValidatedAndNameTheirSource() {
        RunConfig c = parse("");
        RunConfig o = c.withOverrides(Map.of("data_root", Path.of("/d"), "max_tasks", 2), "command line");
        assertEquals(Optional.of(Path.of("/d")), o.dataRoot());
        assertEquals(2, o.maxTasks());
        assertEquals(c.initLr(), o.initLr());
        assertEquals(Optional.of(Path.of("/w/b.safetensors")), c.withBackbone(Path.of("/w/b.safetensors"))
                .backbone());
        CareException e = assertThrows(CareException.class,
                () -> c.withOverrides(Map.of("batch_size", 0), "command line"));
        assertEquals("command line: key \"batch_size\": expected a positive integer, got 0", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.withOverrides(Map.of("batch", 1), "flags"));
    }

    @Test
    void splitGivesTaskCountsOfThePublishedProtocol() {
        // B0 Inc10 on 100 classes: 10 tasks; B100 Inc6 on 1000: 1 + 900 / 6 = 151; B100 Inc3: 301.
        assertEquals(10, RunConfig.parse(json(Map.of("init_cls", "10", "increment", "10"), ""), "x", BASE)
                .taskCount(100));
        RunConfig b100inc6 = parse("").withOverrides(Map.of("init_cls", 100, "increment", 6,
                "dataset", "omnibenchmark1k"), "t");
        assertEquals(151, b100inc6.taskCount(1000));
        // A last partial task: 20 + 3 * 7 = 41 classes over 20 then 7, 7, 7 -> 4 tasks; 42 -> a fifth of 1.
        RunConfig inc7 = parse("").withOverrides(Map.of("increment", 7), "t");
        assertEquals(4, inc7.taskCount(41));
        assertEquals(5, inc7.taskCount(42));
        assertEquals(3, inc7.withOverrides(Map.of("max_tasks", 3), "t").tasksToRun(42));
    }

    @Test
    void evaluationScheduleCountsFromOneAndAlwaysIncludesTheLastTask() {
        RunConfig every3 = parse("\"eval_every\": 3");
        boolean[] expected = {false, false, true, false, false, true, false, true};
        for (int task = 0; task < expected.length; task++) {
            assertEquals(expected[task], every3.evaluatesAfter(task, 8), "task " + task);
        }
        RunConfig every1 = parse("");
        for (int task = 0; task < 8; task++) {
            assertTrue(every1.evaluatesAfter(task, 8));
        }
    }
}
