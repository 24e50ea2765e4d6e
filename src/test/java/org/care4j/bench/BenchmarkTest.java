package org.care4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.care4j.learn.ClassStatistics;
import org.care4j.model.CareNetwork;
import org.care4j.model.VisionTransformer;
import org.care4j.model.VisionTransformer.Architecture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The benchmark's own parts on a toy shape (depth 2, width 32, 16-pixel images): a row measured in this
 * process and in a child JVM, the rows that do not fit (refused by the estimate, stopped by the watchdog),
 * the JSON rows and the parameter-memory formula.
 */
class BenchmarkTest {

    private static final BenchShape TOY = new BenchShape("toy", new Architecture(2, 32, 2, 8, 64, 2));

    private static RowSpec toy(RowSpec.Mode mode, int tasks, RowSpec.Phase phase) {
        return new RowSpec(TOY, mode, tasks, phase, 4, 16, 1, 1, 2, 60, 3, 7);
    }

    @Test
    void aSparseTrainingRowMeasuredInProcessReportsItsFigures() {
        RowMeasurement.Measured m = RowMeasurement.measure(toy(RowSpec.Mode.SPARSE, 5, RowSpec.Phase.TRAIN));
        assertEquals(2, m.seconds().length);
        assertEquals(4 / RowMeasurement.median(m.seconds()), m.imagesPerSecond(), 1e-9);
        long expected = ParameterMemory.of(TOY.architecture(), CareNetwork.Settings.published(), 5, 3,
                ClassStatistics.Storage.PACKED).taskParameters();
        assertEquals(expected, m.taskParameters());
        assertTrue(m.expertsPerSample() >= 1 && m.expertsPerSample() <= 6, "experts " + m.expertsPerSample());
        assertTrue(m.peakMemoryMb() >= m.modelMemoryMb() && m.modelMemoryMb() > 50,
                m.peakMemoryMb() + " / " + m.modelMemoryMb());
    }

    @Test
    void aChildProcessMeasuresARowAndItsJsonHasTheIssueFields() {
        RowSpec spec = toy(RowSpec.Mode.DENSE, 3, RowSpec.Phase.INFERENCE);
        RowResult r = RowProcess.run(spec, 8000, 500, new RowProcess.Launch(256, 120));
        assertTrue(r.measured(), "reason: " + r.reason());
        assertNull(r.reason());
        Map<String, Object> json = r.toJson();
        assertEquals(List.of("shape", "mode", "tasks", "phase", "batch", "images_per_s", "peak_memory_mb"),
                List.copyOf(json.keySet()).subList(0, 7));
        assertEquals("toy", json.get("shape"));
        assertEquals("dense", json.get("mode"));
        assertEquals(3, json.get("tasks"));
        assertEquals("inference", json.get("phase"));
        assertEquals(4, json.get("batch"));
        assertTrue((Double) json.get("images_per_s") > 0);
        assertTrue((Double) json.get("peak_memory_mb") > 50);
        assertEquals(2, r.repeats());
    }

    @Test
    void aChildPassingTheBudgetIsStoppedAndReportedAsNotFitting() {
        RowSpec spec = toy(RowSpec.Mode.SPARSE, 2, RowSpec.Phase.INFERENCE);
        RowResult r = RowProcess.run(spec, 40, 10, new RowProcess.Launch(256, 120));
        assertNull(r.imagesPerSecond());
        assertEquals("did not fit: resident memory passed the budget of 40 MiB", r.reason());
        assertTrue(r.peakMemoryMb() > 40, "largest resident size seen " + r.peakMemoryMb());
    }

    @Test
    void aRowWhoseEstimateExceedsTheBudgetIsNotStartedAndTheJsonSaysWhy(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bench.json");
        Benchmark.Options options = new Benchmark.Options(List.of(TOY), List.of(RowSpec.Mode.DENSE, RowSpec.Mode.DENSE),
                List.of(4, 8), List.of(RowSpec.Phase.TRAIN), 4, 4, 1, 1, 1, 60, 16, 3, 60, 1, 256, 7, out);
        List<RowResult> results = Benchmark.of(options).run();
        assertEquals(4, results.size());
        RowResult first = results.get(0);
        assertNull(first.imagesPerSecond());
        assertTrue(first.reason().matches("did not fit: needs about \\d+ MiB \\(estimate\\), budget 1 MiB; not started"),
                first.reason());
        assertEquals("did not fit already at T = 4; not started", results.get(2).reason());

        JsonNode rows = new ObjectMapper().readTree(Files.readString(out));
        assertEquals(4, rows.size());
        JsonNode row = rows.get(0);
        assertEquals("toy", row.get("shape").asText());
        assertEquals("train", row.get("phase").asText());
        assertEquals(4, row.get("tasks").asInt());
        assertTrue(row.get("images_per_s").isNull());
        assertTrue(row.get("peak_memory_mb").isNull());
        assertTrue(row.get("reason").asText().startsWith("did not fit"));
        assertTrue(Benchmark.table(results).contains("| toy | train | 4 | 4 |  | does not fit |  |"),
                Benchmark.table(results));
    }

    @Test
    void parameterMemoryFollowsTheNetworkAndTheStatistics() {
        CareNetwork.Settings settings = CareNetwork.Settings.published();
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = VisionTransformer.random(TOY.architecture(), 16, DataType.FLOAT32, 1, manager);
            for (int t : new int[] {1, 4, 9}) {
                try (CareNetwork net = SyntheticTasks.build(vit, settings, t, 5, false, 3, manager)) {
                    ParameterMemory p = ParameterMemory.of(TOY.architecture(), settings, t, 5,
                            ClassStatistics.Storage.PACKED);
                    assertEquals(net.taskParameterCount(), p.taskParameters(), "T = " + t);
                    assertEquals(2L * 33 * t * (t + 1) / 2, p.routers(), "routers of T = " + t);
                }
            }
        }
        // 32-wide mean plus the packed 32 x 33 / 2 triangle, float32, for 9 * 5 classes.
        ParameterMemory p = ParameterMemory.of(TOY.architecture(), settings, 9, 5, ClassStatistics.Storage.PACKED);
        assertEquals(45L * (4 * 32 + 4 * 32 * 33 / 2), p.statisticsBytes());
    }

    @Test
    void aRowSpecSurvivesTheChildsCommandLine() {
        RowSpec spec = new RowSpec(BenchShape.VIT_BASE, RowSpec.Mode.SPARSE, 300, RowSpec.Phase.TRAIN, 4, 224, 2, 1,
                3, 120, 10, 42);
        assertEquals(spec, RowSpec.parse(spec.toArgs().toArray(String[]::new)));
    }
}
