package org.care4j.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.care4j.learn.ClassStatistics;
import org.care4j.model.CareNetwork;
import org.care4j.runtime.CareException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The benchmark matrix: for every shape, task count T and phase, the three modes one after another (so that
 * a change in the machine's load affects them alike), each row in its own child process.
 *
 * <p>Before a row starts, its estimated memory ({@link MemoryEstimate}) is compared with the budget: the
 * smaller of {@code maxMemoryMb} and 80% of the memory the kernel reports available at that moment. A row
 * over budget is reported as not fitting without being started, as is a dense row at a larger T once dense
 * did not fit (or timed out) at a smaller one.
 */
public final class Benchmark {

    private static final Logger LOG = LoggerFactory.getLogger(Benchmark.class);

    /**
     * What to measure and how.
     *
     * @param shapes backbone shapes
     * @param modes backbone, dense, sparse
     * @param tasks task counts T
     * @param phases inference, train
     * @param batchTiny batch of every shape but ViT-B/16
     * @param batchBase batch of the ViT-B/16 shape
     * @param threads PyTorch intra-op threads of each child
     * @param warmup untimed iterations per row
     * @param repeats timed iterations per row (median)
     * @param rowSeconds time a row may spend on timed iterations (fewer repeats when they would not fit)
     * @param imageSize image side
     * @param classesPerTask classes of each synthetic task
     * @param timeoutSeconds wall-clock limit of one child
     * @param maxMemoryMb memory budget of one child, MiB (further capped by 80% of available memory)
     * @param heapMb Java heap of a child
     * @param seed weights and images
     * @param out JSON file written after every row, or null
     */
    public record Options(List<BenchShape> shapes, List<RowSpec.Mode> modes, List<Integer> tasks,
            List<RowSpec.Phase> phases, int batchTiny, int batchBase, int threads, int warmup, int repeats,
            int rowSeconds, int imageSize, int classesPerTask, int timeoutSeconds, double maxMemoryMb, int heapMb,
            long seed, Path out) {}

    private final Options options;
    private final Function<RowSpec, RowResult> measure;

    private Benchmark(Options options, Function<RowSpec, RowResult> measure) {
        this.options = options;
        this.measure = measure;
    }

    /** A benchmark that measures each row in a child JVM. */
    public static Benchmark of(Options options) {
        RowProcess.Launch launch = new RowProcess.Launch(options.heapMb(), options.timeoutSeconds());
        return new Benchmark(options, spec -> {
            double estimate = MemoryEstimate.megabytes(spec);
            double budget = budgetMb(options.maxMemoryMb());
            if (estimate > budget) {
                return RowResult.without(spec, null, estimate, RowProcess.loadAverage(), String.format(Locale.ROOT,
                        "did not fit: needs about %.0f MiB (estimate), budget %.0f MiB; not started", estimate,
                        budget));
            }
            return RowProcess.run(spec, budget, estimate, launch);
        });
    }

    /** The budget of the next child: {@code maxMemoryMb}, or less when less than that is available. */
    static double budgetMb(double maxMemoryMb) {
        double available = RowProcess.availableMb();
        return available > 0 ? Math.min(maxMemoryMb, 0.8 * available) : maxMemoryMb;
    }

    /** The rows in the order they run. */
    public List<RowSpec> rows() {
        List<RowSpec> rows = new ArrayList<>();
        for (BenchShape shape : options.shapes()) {
            int batch = shape.equals(BenchShape.VIT_BASE) ? options.batchBase() : options.batchTiny();
            for (int t : options.tasks()) {
                for (RowSpec.Phase phase : options.phases()) {
                    for (RowSpec.Mode mode : options.modes()) {
                        rows.add(new RowSpec(shape, mode, t, phase, batch, options.imageSize(), options.threads(),
                                options.warmup(), options.repeats(), options.rowSeconds(), options.classesPerTask(),
                                options.seed()));
                    }
                }
            }
        }
        return rows;
    }

    /** Measures every row, writing the JSON list after each one when {@link Options#out()} is set. */
    public List<RowResult> run() {
        List<RowSpec> rows = rows();
        List<RowResult> results = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            RowSpec spec = rows.get(i);
            RowResult earlier = failedBefore(spec, results);
            RowResult r = earlier != null ? earlier : measure.apply(spec);
            results.add(r);
            LOG.info("[{}/{}] {}: {}", i + 1, rows.size(), spec.describe(), r.measured()
                    ? String.format(Locale.ROOT, "%.2f img/s, peak %.0f MiB", r.imagesPerSecond(), r.peakMemoryMb())
                    : r.reason());
            if (options.out() != null) {
                writeJson(results, options.out());
            }
        }
        return results;
    }

    /** A dense row is not started when the same shape and phase did not fit or timed out at a smaller T. */
    private static RowResult failedBefore(RowSpec spec, List<RowResult> done) {
        if (spec.mode() != RowSpec.Mode.DENSE) {
            return null;
        }
        for (RowResult r : done) {
            RowSpec s = r.spec();
            if (!r.measured() && s.mode() == spec.mode() && s.shape().equals(spec.shape())
                    && s.phase() == spec.phase() && s.tasks() < spec.tasks() && r.reason() != null
                    && (r.reason().startsWith("did not fit") || r.reason().startsWith("timed out"))) {
                return RowResult.without(spec, null, MemoryEstimate.megabytes(spec), RowProcess.loadAverage(),
                        (r.reason().startsWith("timed out") ? "timed out" : "did not fit") + " already at T = "
                                + s.tasks() + "; not started");
            }
        }
        return null;
    }

    /** Writes {@code results} as a JSON list of row objects, replacing {@code file} in one step. */
    public static void writeJson(List<RowResult> results, Path file) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path temp = Files.createTempFile(dir, ".bench", ".json");
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValue(temp.toFile(), results.stream().map(RowResult::toJson).toList());
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new CareException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A Markdown table with one line per shape, phase and T: images/s and peak memory of each mode, sparse's
     * cost relative to the backbone alone (time per image) and its speed-up over dense.
     */
    public static String table(List<RowResult> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| shape | phase | T | batch | backbone img/s | dense img/s | sparse img/s | sparse / backbone time"
                + " | dense / sparse time | peak MiB backbone | peak MiB dense | peak MiB sparse |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        List<String> seen = new ArrayList<>();
        for (RowResult r : results) {
            RowSpec s = r.spec();
            String key = s.shape().name() + "/" + s.phase() + "/" + s.tasks();
            if (seen.contains(key)) {
                continue;
            }
            seen.add(key);
            RowResult backbone = find(results, s, RowSpec.Mode.BACKBONE);
            RowResult dense = find(results, s, RowSpec.Mode.DENSE);
            RowResult sparse = find(results, s, RowSpec.Mode.SPARSE);
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    s.shape().name(), s.phase().label(), s.tasks(), s.batch(), rate(backbone), rate(dense),
                    rate(sparse), ratio(sparse, backbone), ratio(dense, sparse), peak(backbone), peak(dense),
                    peak(sparse)));
        }
        return sb.toString();
    }

    /** Reasons of the rows without figures, one line each. */
    public static String notes(List<RowResult> results) {
        StringBuilder sb = new StringBuilder();
        for (RowResult r : results) {
            if (r.reason() != null) {
                sb.append("- ").append(r.spec().describe()).append(": ").append(r.reason()).append('\n');
            }
        }
        return sb.toString();
    }

    /** Memory of what grows with tasks, for each shape at each T, with packed covariance statistics. */
    public static String parameterTable(List<BenchShape> shapes, List<Integer> tasks, int classesPerTask) {
        StringBuilder sb = new StringBuilder();
        sb.append("| shape | T | classes | experts MiB | routers MiB | perceptrons + heads MiB | all task parameters"
                + " MiB | class statistics MiB (packed) |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        CareNetwork.Settings settings = CareNetwork.Settings.published();
        for (BenchShape shape : shapes) {
            for (int t : tasks) {
                ParameterMemory p = ParameterMemory.of(shape.architecture(), settings, t, classesPerTask,
                        ClassStatistics.Storage.PACKED);
                sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f |%n",
                        shape.name(), t, t * classesPerTask, mib(p.experts()), p.routerMb(),
                        mib(p.perceptrons() + p.heads()), p.taskParameterMb(), p.statisticsMb()));
            }
        }
        return sb.toString();
    }

    private static double mib(long parameters) {
        return parameters * 4 / (1024.0 * 1024.0);
    }

    private static RowResult find(List<RowResult> results, RowSpec like, RowSpec.Mode mode) {
        for (RowResult r : results) {
            RowSpec s = r.spec();
            if (s.mode() == mode && s.shape().equals(like.shape()) && s.phase() == like.phase()
                    && s.tasks() == like.tasks()) {
                return r;
            }
        }
        return null;
    }

    private static String rate(RowResult r) {
        if (r == null) {
            return "";
        }
        return r.measured() ? String.format(Locale.ROOT, "%.2f", r.imagesPerSecond())
                : r.reason() != null && r.reason().startsWith("did not fit") ? "does not fit" : "failed";
    }

    /** Time per image of {@code a} over that of {@code b}. */
    private static String ratio(RowResult a, RowResult b) {
        if (a == null || b == null || !a.measured() || !b.measured()) {
            return "";
        }
        return String.format(Locale.ROOT, "%.2fx", b.imagesPerSecond() / a.imagesPerSecond());
    }

    private static String peak(RowResult r) {
        if (r == null) {
            return "";
        }
        if (r.peakMemoryMb() == null) {
            return String.format(Locale.ROOT, "(needs ~%.0f)", r.estimateMb());
        }
        return (r.measured() ? "" : "> ") + String.format(Locale.ROOT, "%.0f", r.peakMemoryMb());
    }
}
