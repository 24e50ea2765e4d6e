package org.care4j.learn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.care4j.GoldenFile;
import org.care4j.eval.RunResults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code care run} process, killed hard (SIGKILL) once the checkpoint of task 2 of 4 is on disk, then
 * continued with {@code care run --resume}, ends with exactly the metrics of the same run left alone. The
 * backbone is the shared ViT-Ti at 32 x 32 (a 2 x 2 patch grid), the data a synthetic ImageFolder of 8 classes.
 */
class KillAndResumeTest {

    private static final long RUN_TIMEOUT_S = 600;

    @Test
    void runKilledAfterTaskTwoAndResumedEndsWithTheUninterruptedMetrics(@TempDir Path dir) throws Exception {
        Path data = TinyBenchmark.images(dir.resolve("data"), 20);
        Path vit = GoldenFile.shared().resolve("models/vit-tiny-patch16-224/model.safetensors").toAbsolutePath();
        assertTrue(Files.isRegularFile(vit), "shared ViT-Ti missing: " + vit);
        Path config = Files.writeString(dir.resolve("tiny.json"), TinyBenchmark.configJson(data, vit, 32, 4));

        Path full = dir.resolve("full");
        Process whole = care(dir, "full", "run", "--config", config.toString(), "--out", full.toString());
        assertEquals(0, finish(whole, dir, "full"), "uninterrupted run");
        RunResults expected = RunResults.read(full);

        Path killed = dir.resolve("killed");
        Process victim = care(dir, "killed", "run", "--config", config.toString(), "--out", killed.toString());
        Path second = killed.resolve("checkpoints/task-0002");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RUN_TIMEOUT_S);
        while (!Files.isDirectory(second) && victim.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        victim.destroyForcibly();
        victim.waitFor(30, TimeUnit.SECONDS);
        assertTrue(Files.isDirectory(second), "task 2 checkpoint never appeared; log:\n" + log(dir, "killed"));
        int done = RunCheckpoint.latest(killed).tasksCompleted();
        if (done >= 4) {
            fail("the run finished before it could be killed; nothing was tested");
        }
        assertTrue(victim.exitValue() != 0, "killed process exit code");

        Process resumed = care(dir, "resumed", "run", "--resume", killed.toString());
        assertEquals(0, finish(resumed, dir, "resumed"), "resumed run");
        String resumeLog = log(dir, "resumed");
        assertTrue(resumeLog.contains("resuming from " + killed.resolve("checkpoints/task-000" + done)), resumeLog);
        RunResults actual = RunResults.read(killed);
        RunCheckpointTest.assertSameMetrics(expected, actual);
        assertEquals(1.0, actual.extra().get("resumes"));
    }

    /** Starts {@code care ARGS} in a fresh JVM with this test's class path, logging to {@code dir/NAME.log}. */
    private static Process care(Path dir, String name, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx1g", "-cp", System.getProperty("java.class.path"), "org.care4j.cli.Care"));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile()).start();
    }

    private static int finish(Process p, Path dir, String name) throws Exception {
        if (!p.waitFor(RUN_TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(name + " did not finish in " + RUN_TIMEOUT_S + " s; log:\n" + log(dir, name));
        }
        if (p.exitValue() != 0) {
            fail(name + " exited with " + p.exitValue() + "; log:\n" + log(dir, name));
        }
        return p.exitValue();
    }

    private static String log(Path dir, String name) throws IOException {
        Path file = dir.resolve(name + ".log");
        return Files.exists(file) ? Files.readString(file) : "(no log)";
    }
}
