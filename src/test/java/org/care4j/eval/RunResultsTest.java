package org.care4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.care4j.config.RunConfig;
import org.care4j.runtime.CareException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A three-task run over six classes in the order 5, 2, 7, 0, 9, 1 (two per task), with eval_every = 2: task 0
 * is not evaluated, tasks 1 and 2 (the last) are.
 */
class RunResultsTest {

    private static final double EXACT = 1e-12;
    private static final ObjectMapper JSON = new ObjectMapper();

    static RunConfig config() {
        return RunConfig.parse("""
                {"dataset": "toy", "init_cls": 2, "increment": 2, "seed": 1993, "tuned_epoch": 2,
                 "init_lr": 0.01, "batch_size": 4, "crct_epochs": 1, "ca_lr": 0.005,
                 "ca_storage_efficient_method": "covariance", "decay": true, "eval_every": 2}""",
                "toy.json", Path.of("/"));
    }

    static RunResults threeTasks() {
        RunResults r = new RunResults(config(), new int[] {5, 2, 7, 0, 9, 1});
        r.addTask(TaskRecord.builder(0, new int[] {0, 1}).seconds(10).rssMb(100).trainImagesPerSecond(50)
                .extra("loss", 0.5).build());
        r.addTask(TaskRecord.builder(1, new int[] {2, 3}).seconds(20).rssMb(150).trainImagesPerSecond(55)
                .evaluation(new TaskEvaluation(1, 20, 80, 95, new double[] {70, 90}, new int[] {10, 10},
                        List.of(new BlockRouting(0, 90, 95), new BlockRouting(1, 80, 85)), 2.0))
                .build());
        r.addTask(TaskRecord.builder(2, new int[] {4, 5}).seconds(30).rssMb(120).trainImagesPerSecond(60)
                .evaluation(new TaskEvaluation(2, 30, 70, 90, new double[] {60, 80, 70}, new int[] {10, 10, 10},
                        List.of(new BlockRouting(0, 85, 92), new BlockRouting(1, 75, 88)), 3.0))
                .build());
        return r;
    }

    @Test
    void summaryNumbersComeFromTheEvaluatedTasks() {
        RunResults r = threeTasks();
        // Ā = (80 + 70) / 2 = 75 over the evaluated tasks 1 and 2; A_B = 70.
        assertEquals(75, r.averageAccuracy(), EXACT);
        assertEquals(70, r.lastAccuracy(), EXACT);
        // Groups 0 and 1 against row 1: (70 - 60) and (90 - 80), mean 10.
        assertEquals(10, r.forgetting(), EXACT);
        assertEquals(60, r.wallSeconds(), EXACT);
        assertEquals(150, r.peakMemoryMb(), EXACT);
        assertEquals(OptionalLong.empty(), r.parametersAdded());
        assertEquals(2, r.lastRoutedEvaluation().task());
    }

    @Test
    void writtenFileHoldsEveryPromisedKey(@TempDir Path dir) throws Exception {
        RunResults r = threeTasks();
        r.setParametersAdded(1234567);
        r.setWallSeconds(65.5);
        r.putExtra("final_loss", 0.25);
        Path file = dir.resolve("run/results.json");
        r.write(file);
        JsonNode j = JSON.readTree(file.toFile());

        assertEquals("care", j.get("method").textValue());
        assertEquals(75, j.get("average_accuracy").doubleValue(), EXACT);
        assertEquals(70, j.get("last_accuracy").doubleValue(), EXACT);
        assertEquals(10, j.get("forgetting").doubleValue(), EXACT);
        assertEquals("[1,2]", j.get("evaluated_tasks").toString());
        assertFalse(j.get("all_tasks_evaluated").booleanValue());
        assertEquals("[{\"task\":1,\"accuracy\":80.0},{\"task\":2,\"accuracy\":70.0}]",
                j.get("accuracy_curve").toString());
        assertEquals(2, j.get("routing").get("task").intValue());
        assertEquals("[{\"block\":0,\"r_at_m\":85.0,\"e_at_k\":92.0},{\"block\":1,\"r_at_m\":75.0,"
                + "\"e_at_k\":88.0}]", j.get("routing").get("blocks").toString());
        assertEquals("[{\"task\":1,\"r_at_m\":[90.0,80.0],\"e_at_k\":[95.0,85.0]},"
                + "{\"task\":2,\"r_at_m\":[85.0,75.0],\"e_at_k\":[92.0,88.0]}]",
                j.get("routing").get("per_task").toString());
        assertEquals(150, j.get("peak_memory_mb").doubleValue(), EXACT);
        assertEquals(65.5, j.get("wall_seconds").doubleValue(), EXACT);
        assertEquals(1234567, j.get("parameters_added").longValue());
        assertEquals(0.25, j.get("extra").get("final_loss").doubleValue(), EXACT);
        JsonNode provenance = j.get("provenance");
        for (String key : List.of("care4j_version", "started", "written", "java_version", "host_cores")) {
            assertTrue(provenance.has(key), key);
        }
        assertEquals("toy", j.get("config").get("dataset").textValue());
        assertEquals(2, j.get("config").get("eval_every").intValue());
        assertEquals("[5,2,7,0,9,1]", j.get("class_order").toString());

        JsonNode t0 = j.get("tasks").get(0);
        assertEquals("[5,2]", t0.get("classes").toString());
        assertEquals("[0,1]", t0.get("positions").toString());
        assertFalse(t0.get("evaluated").booleanValue());
        assertTrue(t0.get("accuracy").isNull());
        assertTrue(t0.get("group_accuracy").isNull());
        assertEquals(0.5, t0.get("extra").get("loss").doubleValue(), EXACT);
        JsonNode t2 = j.get("tasks").get(2);
        assertEquals("[9,1]", t2.get("classes").toString());
        assertTrue(t2.get("evaluated").booleanValue());
        assertEquals(70, t2.get("accuracy").doubleValue(), EXACT);
        assertEquals(90, t2.get("top5").doubleValue(), EXACT);
        assertEquals("[60.0,80.0,70.0]", t2.get("group_accuracy").toString());
        assertEquals(60, t2.get("train_images_per_s").doubleValue(), EXACT);
        assertEquals(30, t2.get("seconds").doubleValue(), EXACT);
        assertEquals(120, t2.get("rss_mb").doubleValue(), EXACT);
        assertEquals(3.0, t2.get("eval_seconds").doubleValue(), EXACT);
        assertEquals(2, t2.get("routing").size());
    }

    @Test
    void readGivesBackTheSameRecord(@TempDir Path dir) {
        RunResults r = threeTasks();
        r.setParametersAdded(42);
        r.write(dir.resolve(RunResults.FILE_NAME));
        RunResults back = RunResults.read(dir);
        assertEquals(r.toJson().without(List.of("provenance")), back.toJson().without(List.of("provenance")));
        assertEquals(75, back.averageAccuracy(), EXACT);
        assertArrayEquals(new int[] {1, 2}, back.accuracyMatrix().evaluatedTasks());
        assertEquals(OptionalLong.of(42), back.parametersAdded());
        assertEquals("toy", back.dataset());
        assertEquals("care", back.method());
        // A resumed run goes on from where the file ended, and the config reads back as a RunConfig.
        assertEquals(config(), RunConfig.fromJson(back.config(), "results.json", dir));
        back.addTask(TaskRecord.builder(3, new int[] {0}).build());
        assertEquals(4, back.tasks().size());
    }

    @Test
    void writeReplacesAtomicallyAndLeavesNoTemporaryFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(RunResults.FILE_NAME);
        Files.writeString(file, "old");
        threeTasks().write(file);
        assertEquals("care", JSON.readTree(file.toFile()).get("method").textValue());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
        assertTrue(Files.readString(file).contains("\n  \"method\": \"care\",\n"), "indented, key: value");
    }

    @Test
    void readToleratesUnknownKeys(@TempDir Path dir) throws Exception {
        ObjectNode json = threeTasks().toJson();
        json.put("future_key", 1);
        ((ObjectNode) json.get("tasks").get(1)).put("another", "x");
        Path file = dir.resolve("r.json");
        Files.writeString(file, json.toString());
        assertEquals(75, RunResults.read(file).averageAccuracy(), EXACT);
    }

    @Test
    void readRefusesMissingRequiredKeysNamingThem(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("results.json");

        ObjectNode noTasks = threeTasks().toJson();
        noTasks.remove("tasks");
        Files.writeString(file, noTasks.toString());
        assertEquals(file + ": key \"tasks\" is missing", readError(file));

        ObjectNode noAccuracy = threeTasks().toJson();
        ((ObjectNode) noAccuracy.get("tasks").get(2)).remove("accuracy");
        Files.writeString(file, noAccuracy.toString());
        assertEquals(file + ": key \"tasks[2].accuracy\" is missing", readError(file));

        ObjectNode skipped = threeTasks().toJson();
        ((ObjectNode) skipped.get("tasks").get(1)).put("task", 5);
        Files.writeString(file, skipped.toString());
        assertEquals(file + ": key \"tasks[1].task\": expected 1, got 5", readError(file));

        ObjectNode badOrder = threeTasks().toJson();
        badOrder.putArray("class_order").add("five");
        Files.writeString(file, badOrder.toString());
        assertEquals(file + ": key \"class_order\": expected a list of non-negative integers, got [\"five\"]",
                readError(file));

        Files.writeString(file, "{\"method\": ");
        assertTrue(readError(file).startsWith(file + ": not valid JSON: "));

        Path empty = dir.resolve("empty");
        Files.createDirectories(empty);
        assertEquals(empty + ": no results.json in this folder", readError(empty));
    }

    private static String readError(Path file) {
        return assertThrows(CareException.class, () -> RunResults.read(file)).getMessage();
    }

    @Test
    void recordsMustArriveInTaskOrder() {
        RunResults r = new RunResults(config(), new int[] {5, 2, 7, 0});
        assertThrows(IllegalArgumentException.class, () -> r.addTask(TaskRecord.builder(1, new int[] {2}).build()));
        r.addTask(TaskRecord.builder(0, new int[] {0, 1}).build());
        assertThrows(IllegalArgumentException.class, () -> r.addTask(TaskRecord.builder(1, new int[] {4}).build()));
    }
}
