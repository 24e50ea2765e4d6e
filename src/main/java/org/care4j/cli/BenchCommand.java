package org.care4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.care4j.bench.BenchShape;
import org.care4j.bench.Benchmark;
import org.care4j.bench.RowResult;
import org.care4j.bench.RowSpec;
import org.care4j.runtime.CareException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code care bench}: images/s and peak memory of inference and of one training step, for the backbone alone
 * and for BR-MoE with dense and sparse routing, on synthetic tasks; prints Markdown tables and optionally
 * writes the rows as JSON.
 */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Measure images/s and peak resident memory of task-agnostic inference and of one training step at "
                    + "several task counts, for the backbone alone, dense routing (every expert on every token, "
                    + "as the reference) and sparse routing (only the selected experts).",
            "Tasks are synthetic: random weights of a scale that makes samples route differently. Every row runs"
                    + " in its own JVM; a row that does not fit in memory or times out is reported as such."
        })
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--shapes", split = ",", defaultValue = "vit-tiny,vit-base", paramLabel = "SHAPE",
            description = "Backbone shapes: vit-tiny (ViT-Ti/16), vit-base (ViT-B/16). Default: ${DEFAULT-VALUE}.")
    List<String> shapes;

    @Option(names = "--modes", split = ",", defaultValue = "backbone,dense,sparse", paramLabel = "MODE",
            description = "backbone, dense, sparse. Default: ${DEFAULT-VALUE}.")
    List<String> modes;

    @Option(names = "--tasks", split = ",", defaultValue = "1,10,50,100,300", paramLabel = "T",
            description = "Task counts. Default: ${DEFAULT-VALUE}.")
    List<Integer> tasks;

    @Option(names = "--phases", split = ",", defaultValue = "inference,train", paramLabel = "PHASE",
            description = "inference (task-agnostic forward), train (one training step). Default: ${DEFAULT-VALUE}.")
    List<String> phases;

    @Option(names = "--batch-tiny", defaultValue = "16", description = "Batch of vit-tiny. Default: ${DEFAULT-VALUE}.")
    int batchTiny;

    @Option(names = "--batch-base", defaultValue = "4", description = "Batch of vit-base. Default: ${DEFAULT-VALUE}.")
    int batchBase;

    @Option(names = "--threads", defaultValue = "0",
            description = "PyTorch intra-op threads of each row; 0 for one per core. Default: ${DEFAULT-VALUE}.")
    int threads;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed iterations per row. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--repeats", defaultValue = "3",
            description = "Timed iterations per row; the median is reported. Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Option(names = "--row-seconds", defaultValue = "120", description = "Time a row may spend on timed iterations;"
            + " fewer repeats run (at least one) when the warm-up shows they would take longer, and the JSON says "
            + "how many ran. Default: ${DEFAULT-VALUE}.")
    int rowSeconds;

    @Option(names = "--image-size", defaultValue = "224", description = "Image side. Default: ${DEFAULT-VALUE}.")
    int imageSize;

    @Option(names = "--classes", defaultValue = "10", description = "Classes per synthetic task. Default: "
            + "${DEFAULT-VALUE}.")
    int classes;

    @Option(names = "--timeout", defaultValue = "600", paramLabel = "SECONDS",
            description = "Wall-clock limit of one row, building included. Default: ${DEFAULT-VALUE}.")
    int timeout;

    @Option(names = "--max-memory", defaultValue = "16000", paramLabel = "MIB", description = "Memory budget of one "
            + "row; never more than 80%% of the memory available when the row starts. Default: ${DEFAULT-VALUE}.")
    double maxMemory;

    @Option(names = "--heap", defaultValue = "1024", paramLabel = "MIB",
            description = "Java heap of each row's JVM (tensors live outside it). Default: ${DEFAULT-VALUE}.")
    int heap;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of weights and images. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the rows as a JSON list (after every row).")
    Path out;

    @Override
    public Integer call() {
        if (threads == 0) {
            threads = Runtime.getRuntime().availableProcessors();
        }
        if (batchTiny < 1 || batchBase < 1 || threads < 1 || repeats < 1 || warmup < 0 || timeout < 1 || classes < 2) {
            throw new CareException("--batch-tiny, --batch-base, --threads, --repeats and --timeout must be at least "
                    + "1, --warmup at least 0 and --classes at least 2");
        }
        if (tasks.stream().anyMatch(t -> t < 1)) {
            throw new CareException("--tasks must all be at least 1, got " + tasks);
        }
        List<BenchShape> shapeList = shapes.stream().map(BenchShape::named).toList();
        Benchmark.Options options = new Benchmark.Options(shapeList, modes.stream().map(BenchCommand::mode).toList(),
                tasks, phases.stream().map(BenchCommand::phase).toList(), batchTiny, batchBase, threads, warmup,
                repeats, rowSeconds, imageSize, classes, timeout, maxMemory, heap, seed, out);
        List<RowResult> results = Benchmark.of(options).run();
        System.out.println(Benchmark.table(results));
        String notes = Benchmark.notes(results);
        if (!notes.isEmpty()) {
            System.out.println(notes);
        }
        System.out.println(Benchmark.parameterTable(shapeList, tasks, classes));
        return 0;
    }

    private static RowSpec.Mode mode(String label) {
        try {
            return RowSpec.Mode.of(label);
        } catch (IllegalArgumentException e) {
            throw new CareException("unknown mode '" + label + "'; use backbone, dense or sparse");
        }
    }

    private static RowSpec.Phase phase(String label) {
        try {
            return RowSpec.Phase.of(label);
        } catch (IllegalArgumentException e) {
            throw new CareException("unknown phase '" + label + "'; use inference or train");
        }
    }
}
