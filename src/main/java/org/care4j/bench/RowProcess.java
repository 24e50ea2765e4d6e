package org.care4j.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.care4j.runtime.CareException;

/**
 * Runs one row in a child JVM ({@link RowMeasurement}) with the same class path, so that running out of
 * memory, a crash or a hang ends that row only.
 *
 * <p>A watchdog reads the child's resident size ({@code /proc/PID/status}) every 100 ms and stops it when it
 * passes the memory budget, since PyTorch's native memory lies outside any Java heap limit; a wall-clock
 * timeout stops a row that runs too long. Either way the row is reported without throughput and with the
 * reason.
 */
final class RowProcess {

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * How children are started.
     *
     * @param heapMb Java heap of a child (tensors live outside it)
     * @param timeoutSeconds wall-clock limit of one child, build included
     */
    record Launch(int heapMb, int timeoutSeconds) {}

    private RowProcess() {}

    /** Measures {@code spec} in a child process allowed {@code budgetMb} of resident memory. */
    static RowResult run(RowSpec spec, double budgetMb, double estimateMb, Launch launch) {
        double load = loadAverage();
        List<String> command = new ArrayList<>(List.of(javaExecutable(), "-Xmx" + launch.heapMb() + "m",
                "-XX:+UseSerialGC", "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
                "-Dai.djl.pytorch.num_threads=" + spec.threads(), "-Dai.djl.pytorch.num_interop_threads=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp", System.getProperty("java.class.path"),
                RowMeasurement.class.getName()));
        command.addAll(spec.toArgs());
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("OPT_OUT_TRACKING", "true");
        Process child;
        try {
            child = builder.start();
        } catch (IOException e) {
            throw new CareException("cannot start a child JVM for " + spec.describe() + ": " + e.getMessage(), e);
        }
        // A child outlives an interrupted benchmark unless stopped with it.
        Thread stopChild = new Thread(child::destroyForcibly, "bench-row-stop");
        Runtime.getRuntime().addShutdownHook(stopChild);
        try {
            return watch(spec, child, budgetMb, estimateMb, load, launch);
        } finally {
            Runtime.getRuntime().removeShutdownHook(stopChild);
        }
    }

    private static RowResult watch(RowSpec spec, Process child, double budgetMb, double estimateMb, double load,
            Launch launch) {
        List<String> output = Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> readLines(child, output), "bench-row-output");
        reader.setDaemon(true);
        reader.start();

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(launch.timeoutSeconds());
        double largest = 0;
        String stopped = null;
        try {
            while (!child.waitFor(100, TimeUnit.MILLISECONDS)) {
                double rss = residentMb(child.pid());
                largest = Math.max(largest, rss);
                if (rss > budgetMb) {
                    stopped = String.format("did not fit: resident memory passed the budget of %.0f MiB", budgetMb);
                } else if (System.nanoTime() > deadline) {
                    stopped = "timed out after " + launch.timeoutSeconds() + " s";
                }
                if (stopped != null) {
                    child.destroyForcibly();
                    child.waitFor();
                    break;
                }
            }
            reader.join(5000);
        } catch (InterruptedException e) {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new CareException("interrupted while measuring " + spec.describe());
        }
        if (stopped != null) {
            return RowResult.without(spec, largest, estimateMb, load, stopped);
        }
        return parse(spec, output, child.exitValue(), largest, estimateMb, load);
    }

    /** The row from the child's result line, or a row without figures that says what went wrong. */
    static RowResult parse(RowSpec spec, List<String> output, int exit, double largestMb, double estimateMb,
            double load) {
        JsonNode line = null;
        synchronized (output) {
            for (String s : output) {
                if (s.startsWith(RowMeasurement.MARK)) {
                    try {
                        line = JSON.readTree(s.substring(RowMeasurement.MARK.length()));
                    } catch (IOException e) {
                        line = null;
                    }
                }
            }
        }
        if (line == null || line.has("error")) {
            String error = line != null ? line.path("error").asText()
                    : exit == 137 || exit == 9 ? "killed by the system (exit " + exit + ", out of memory?)"
                    : "exited with " + exit + " without a result" + lastLine(output);
            return RowResult.without(spec, largestMb > 0 ? largestMb : null, estimateMb, load,
                    outOfMemory(error) ? "did not fit: " + error : "failed: " + error);
        }
        double[] seconds = doubles(line.path("seconds"));
        double[] cpu = doubles(line.path("cpu_seconds"));
        return new RowResult(spec, line.path("images_per_s").asDouble(), line.path("peak_memory_mb").asDouble(),
                line.path("model_memory_mb").asDouble(), RowMeasurement.median(seconds), RowMeasurement.median(cpu),
                seconds.length, line.path("task_parameters").asLong(), line.path("experts_per_sample").asDouble(),
                estimateMb, load, line.path("peak_cleared").asBoolean(true) ? null
                        : "peak includes building the network (/proc/self/clear_refs not writable)");
    }

    private static boolean outOfMemory(String error) {
        String e = error.toLowerCase(java.util.Locale.ROOT);
        return e.contains("memory") || e.contains("alloc") || e.contains("killed by the system");
    }

    private static String lastLine(List<String> output) {
        synchronized (output) {
            return output.isEmpty() ? "" : ": " + output.get(output.size() - 1);
        }
    }

    private static double[] doubles(JsonNode array) {
        double[] v = new double[array.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = array.get(i).asDouble();
        }
        return v;
    }

    private static void readLines(Process child, List<String> output) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String s;
            while ((s = in.readLine()) != null) {
                output.add(s);
            }
        } catch (IOException e) {
            // The child was stopped; what it printed so far is kept.
        }
    }

    private static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Resident size of process {@code pid} in MiB, 0 when it cannot be read. */
    static double residentMb(long pid) {
        return procField(Path.of("/proc", Long.toString(pid), "status"), "VmRSS:");
    }

    /** Memory the kernel could give to a new process without swapping, MiB ({@code MemAvailable}). */
    static double availableMb() {
        return procField(Path.of("/proc/meminfo"), "MemAvailable:");
    }

    private static double procField(Path file, String field) {
        try {
            for (String s : Files.readAllLines(file)) {
                if (s.startsWith(field)) {
                    return Long.parseLong(s.substring(field.length()).trim().split("\\s+")[0]) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Gone, or not Linux.
        }
        return 0;
    }

    /** One-minute load average, NaN where unknown. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
