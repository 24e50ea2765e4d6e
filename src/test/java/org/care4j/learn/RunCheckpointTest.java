package org.care4j.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.care4j.config.RunConfig;
import org.care4j.eval.RunResults;
import org.care4j.eval.TaskRecord;
import org.care4j.runtime.CareException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints of whole (tiny) runs: a damaged newest checkpoint is refused with a message that says what is
 * wrong, resuming falls back to the one before it and still ends with the uninterrupted run's metrics, a
 * config that changes what is learned is refused by key, and a fresh run will not overwrite a run folder.
 */
class RunCheckpointTest {

    @TempDir
    static Path inputs;

    private static Path data;
    private static Path backbone;
    private static RunResults uninterrupted;
    private static Path uninterruptedFolder;

    @BeforeAll
    static void runFourTasksWithoutInterruption() throws IOException {
        data = TinyBenchmark.images(inputs.resolve("data"), 20);
        backbone = TinyBenchmark.backbone(inputs.resolve("vit.safetensors"));
        uninterruptedFolder = inputs.resolve("full");
        uninterrupted = new ContinualRun(TinyBenchmark.config(data, backbone, 4), uninterruptedFolder).execute();
        assertEquals(4, uninterrupted.tasks().size());
    }

    @Test
    void keepsTheTwoNewestCheckpointsEachWithChecksums() throws IOException {
        assertEquals(List.of("task-0003", "task-0004"), checkpointNames(uninterruptedFolder));
        RunCheckpoint newest = RunCheckpoint.latest(uninterruptedFolder);
        assertEquals(4, newest.tasksCompleted());
        assertEquals("care", newest.method());
        assertEquals(RunCheckpoint.sha256(backbone), newest.backboneSha256());
        assertEquals(uninterrupted.averageAccuracy(), newest.results().averageAccuracy(), 0);
        String state = Files.readString(newest.folder().resolve("state.json"));
        assertTrue(state.contains("\"sha256\" : \"" + RunCheckpoint.sha256(newest.model()) + "\""), state);
    }

    @Test
    void damagedNewestCheckpointIsRefusedAndResumeFallsBackToThePreviousTask() throws IOException {
        Path run = inputs.resolve("damaged");
        new ContinualRun(TinyBenchmark.config(data, backbone, 3), run).execute();
        Path newest = run.resolve("checkpoints/task-0003");
        truncate(newest.resolve("model.safetensors"), 1000);

        CareException truncated = assertThrows(CareException.class, () -> RunCheckpoint.open(newest));
        assertTrue(truncated.getMessage().contains("task-0003: model.safetensors has")
                && truncated.getMessage().contains("(truncated)"), truncated.getMessage());
        RunCheckpoint previous = RunCheckpoint.latest(run);
        assertEquals(2, previous.tasksCompleted());

        // Resuming with max_tasks raised to 4 relearns task 3 from checkpoint 2 and learns task 4.
        RunResults resumed = new ContinualRun(TinyBenchmark.config(data, backbone, 4), run).resume(previous);
        assertSameMetrics(uninterrupted, resumed);
        assertSameMetrics(uninterrupted, RunResults.read(run));
        assertEquals(1.0, resumed.extra().get("resumes"));
        assertEquals(List.of("task-0003", "task-0004"), checkpointNames(run));
        assertEquals(3, RunCheckpoint.open(run.resolve("checkpoints/task-0003")).tasksCompleted());
    }

    @Test
    void corruptedByteOrMissingStateIsRefusedWithTheReason() throws IOException {
        Path run = inputs.resolve("corrupted");
        copyTree(uninterruptedFolder, run);
        Path newest = run.resolve("checkpoints/task-0004");
        Path model = newest.resolve("model.safetensors");
        try (RandomAccessFile f = new RandomAccessFile(model.toFile(), "rw")) {
            long at = f.length() - 100;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x40);
        }
        CareException corrupted = assertThrows(CareException.class, () -> RunCheckpoint.open(newest));
        assertTrue(corrupted.getMessage().contains("model.safetensors does not match its SHA-256")
                && corrupted.getMessage().contains("(corrupted)"), corrupted.getMessage());
        assertEquals(3, RunCheckpoint.latest(run).tasksCompleted());

        Files.delete(run.resolve("checkpoints/task-0003/state.json"));
        CareException incomplete = assertThrows(CareException.class,
                () -> RunCheckpoint.open(run.resolve("checkpoints/task-0003")));
        assertTrue(incomplete.getMessage().endsWith("task-0003: no state.json; the checkpoint is incomplete"),
                incomplete.getMessage());
        CareException none = assertThrows(CareException.class, () -> RunCheckpoint.latest(run));
        assertTrue(none.getMessage().contains("no usable checkpoint")
                && none.getMessage().contains("task-0004: model.safetensors does not match")
                && none.getMessage().contains("task-0003: no state.json"), none.getMessage());
    }

    @Test
    void resumeRefusesAConfigThatChangesWhatIsLearnedAndNamesTheKey() {
        RunCheckpoint checkpoint = RunCheckpoint.latest(uninterruptedFolder);
        RunConfig config = TinyBenchmark.config(data, backbone, 4);
        CareException seed = assertThrows(CareException.class, () -> checkpoint.checkCompatible(
                config.withOverrides(Map.of("seed", List.of(1990), "init_lr", 0.02), "test")));
        assertTrue(seed.getMessage().contains("\"init_lr\" (0.01 in the checkpoint, 0.02 now), \"seed\" ([1993] in "
                + "the checkpoint, [1990] now)"), seed.getMessage());
        checkpoint.checkCompatible(config.withOverrides(Map.of("max_tasks", 0, "eval_every", 5, "workers", 2),
                "test"));
    }

    @Test
    void freshRunRefusesAFolderThatHoldsCheckpoints() {
        CareException e = assertThrows(CareException.class,
                () -> new ContinualRun(TinyBenchmark.config(data, backbone, 4), uninterruptedFolder).execute());
        assertTrue(e.getMessage().contains("continue it with --resume"), e.getMessage());
    }

    @Test
    void resumingAFinishedRunLearnsNothingMore() {
        Path run = inputs.resolve("finished");
        copyTree(uninterruptedFolder, run);
        RunResults again = new ContinualRun(TinyBenchmark.config(data, backbone, 4), run)
                .resume(RunCheckpoint.latest(run));
        assertSameMetrics(uninterrupted, again);
        assertFalse(Files.exists(run.resolve("checkpoints/task-0005")));
    }

    /** The numbers a run reports, exactly: curve, group accuracies, Ā, A_B, forgetting. */
    static void assertSameMetrics(RunResults expected, RunResults actual) {
        assertEquals(expected.tasks().size(), actual.tasks().size(), "tasks");
        for (int t = 0; t < expected.tasks().size(); t++) {
            TaskRecord e = expected.tasks().get(t);
            TaskRecord a = actual.tasks().get(t);
            assertEquals(e.evaluation().isPresent(), a.evaluation().isPresent(), "evaluated task " + t);
            if (e.evaluation().isPresent()) {
                assertEquals(e.evaluation().get().top1(), a.evaluation().get().top1(), 0, "accuracy task " + t);
                assertEquals(e.evaluation().get().top5(), a.evaluation().get().top5(), 0, "top-5 task " + t);
                assertArrayEquals(e.evaluation().get().groupAccuracy(), a.evaluation().get().groupAccuracy(), 0,
                        "group accuracy after task " + t);
            }
        }
        assertEquals(expected.averageAccuracy(), actual.averageAccuracy(), 0, "average accuracy");
        assertEquals(expected.lastAccuracy(), actual.lastAccuracy(), 0, "last accuracy");
        assertEquals(expected.forgetting(), actual.forgetting(), 0, "forgetting");
    }

    private static List<String> checkpointNames(Path run) throws IOException {
        try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void truncate(Path file, long bytesRemoved) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(f.length() - bytesRemoved);
        }
    }

    private static void copyTree(Path from, Path to) {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
