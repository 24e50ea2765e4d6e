package org.care4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.care4j.eval.ProcessMemory;
import org.care4j.learn.CareObjective;
import org.care4j.learn.CosFace;
import org.care4j.learn.Sgd;
import org.care4j.model.BrMoeBlock.Routing;
import org.care4j.model.CareNetwork;
import org.care4j.model.Expert;
import org.care4j.model.VisionTransformer;
import org.care4j.runtime.DjlRuntime;
import org.care4j.runtime.Scalar;

/**
 * Measures one benchmark row in this process: builds the backbone (and the network of T synthetic tasks),
 * runs warm-up iterations, then times {@code repeats} iterations and reports their median.
 *
 * <p>What one iteration is:
 * <ul>
 *   <li>inference, backbone: {@code vit.forward(images, null)};
 *   <li>inference, dense or sparse: the task-agnostic forward pass (task id -1) and the cosine logits of all
 *       heads, without gradients;
 *   <li>train, dense or sparse: the known-task forward pass of the last task (still being learned), the CaRE
 *       loss (CosFace on its cosine logits plus the per-block perceptron terms with self-distillation),
 *       backward, and an SGD step of every trainable tensor;
 *   <li>train, backbone: the frozen backbone with one trainable shared expert (bottleneck 64) parallel to
 *       every MLP and one trainable cosine head, CosFace loss, backward, SGD step: the least any adapter
 *       method trains, since a frozen backbone alone has nothing to train.
 * </ul>
 *
 * <p>Peak memory is the process's peak resident set ({@code VmHWM}) over warm-up and timed iterations; the
 * peak of building the network is cleared first (Linux {@code /proc/self/clear_refs}), so the figure is the
 * resident model plus the iteration's working memory. Run as a program it prints one JSON line starting with
 * {@link #MARK}; that is how {@link RowProcess} runs each row in a child JVM.
 */
public final class RowMeasurement {

    /** Prefix of the result line a child process prints. */
    public static final String MARK = "care-bench-row ";

    /** CaRE loss constants of the published setting (scale 20, margin 0, CosFace and self-distillation). */
    private static final double SCALE = 20;
    private static final double LEARNING_RATE = 0.01;

    /**
     * What one row measured.
     *
     * @param imagesPerSecond batch size over the median iteration time
     * @param seconds every timed iteration, in order
     * @param cpuSeconds processor time of this process in each timed iteration (all threads; 10 ms ticks)
     * @param peakMemoryMb peak resident set over warm-up and timed iterations, MiB
     * @param modelMemoryMb resident set once everything was built, before the first iteration, MiB
     * @param peakCleared whether the build's peak could be cleared (false: the peak may be the build's)
     * @param taskParameters parameters that grow with tasks ({@link CareNetwork#taskParameterCount()}), 0 for
     *     the backbone
     * @param buildSeconds time to build backbone and tasks
     * @param expertsPerSample mean number of distinct weighted experts per sample and block in the first
     *     iteration (0 for the backbone)
     */
    public record Measured(double imagesPerSecond, double[] seconds, double[] cpuSeconds, double peakMemoryMb,
            double modelMemoryMb, boolean peakCleared, long taskParameters, double buildSeconds,
            double expertsPerSample) {

        public double medianSeconds() {
            return median(seconds);
        }
    }

    /** One iteration of a row; returns the experts per sample and block it used (0 when none). */
    private interface Iteration {
        double run();
    }

    private RowMeasurement() {}

    public static void main(String[] args) throws IOException {
        RowSpec spec = RowSpec.parse(args);
        DjlRuntime.configure(spec.threads());
        ObjectMapper json = new ObjectMapper();
        Map<String, Object> line = new LinkedHashMap<>();
        int status = 0;
        try {
            Measured m = measure(spec);
            line.put("images_per_s", m.imagesPerSecond());
            line.put("seconds", m.seconds());
            line.put("cpu_seconds", m.cpuSeconds());
            line.put("peak_memory_mb", m.peakMemoryMb());
            line.put("model_memory_mb", m.modelMemoryMb());
            line.put("peak_cleared", m.peakCleared());
            line.put("task_parameters", m.taskParameters());
            line.put("build_s", m.buildSeconds());
            line.put("experts_per_sample", m.expertsPerSample());
        } catch (OutOfMemoryError | RuntimeException e) {
            line.put("error", String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString()));
            line.put("error_type", e.getClass().getName());
            line.put("peak_memory_mb", ProcessMemory.peakResidentMb());
            status = 3;
        }
        System.out.println(MARK + json.writeValueAsString(line));
        System.out.flush();
        System.exit(status);
    }

    /** Measures {@code spec} in this process. */
    public static Measured measure(RowSpec spec) {
        try (NDManager manager = NDManager.newBaseManager()) {
            long started = System.nanoTime();
            VisionTransformer vit = VisionTransformer.random(spec.shape().architecture(), spec.imageSize(),
                    DataType.FLOAT32, spec.seed(), manager);
            Engine.getInstance().setRandomSeed((int) spec.seed());
            NDArray images = manager.randomNormal(new Shape(spec.batch(), 3, spec.imageSize(), spec.imageSize()));
            long[] labels = new long[spec.batch()];
            Random rng = new Random(spec.seed());
            Arrays.setAll(labels, i -> rng.nextInt(spec.classesPerTask()));
            long[] taskParameters = new long[1];
            Iteration iteration = iteration(spec, vit, images, manager.create(labels), taskParameters, manager);
            double build = (System.nanoTime() - started) / 1e9;

            double model = ProcessMemory.residentMb();
            boolean cleared = clearPeak();
            double experts = 0;
            double[] warm = new double[spec.warmup()];
            for (int i = 0; i < spec.warmup(); i++) {
                long t0 = System.nanoTime();
                double e = iteration.run();
                warm[i] = (System.nanoTime() - t0) / 1e9;
                experts = i == 0 ? e : experts;
            }
            int repeats = spec.repeats();
            if (spec.warmup() > 0) {
                double each = warm[spec.warmup() - 1];
                repeats = (int) Math.max(1, Math.min(repeats, Math.floor(spec.seconds() / each)));
            }
            double[] seconds = new double[repeats];
            double[] cpu = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                double c0 = cpuSeconds();
                long t0 = System.nanoTime();
                double e = iteration.run();
                seconds[i] = (System.nanoTime() - t0) / 1e9;
                cpu[i] = cpuSeconds() - c0;
                experts = spec.warmup() == 0 && i == 0 ? e : experts;
            }
            double peak = ProcessMemory.peakResidentMb();
            return new Measured(spec.batch() / median(seconds), seconds, cpu, peak, model, cleared, taskParameters[0],
                    build, experts);
        }
    }

    private static Iteration iteration(RowSpec spec, VisionTransformer vit, NDArray images, NDArray labels,
            long[] taskParameters, NDManager manager) {
        boolean train = spec.phase() == RowSpec.Phase.TRAIN;
        if (spec.mode() == RowSpec.Mode.BACKBONE) {
            return train ? backboneTraining(spec, vit, images, labels, manager) : () -> {
                try (NDScope scope = new NDScope()) {
                    vit.forward(images, null);
                    return 0;
                }
            };
        }
        Routing routing = spec.mode() == RowSpec.Mode.DENSE ? Routing.DENSE : Routing.SPARSE;
        CareNetwork net = SyntheticTasks.build(vit, CareNetwork.Settings.published(), spec.tasks(),
                spec.classesPerTask(), train, spec.seed(), manager);
        taskParameters[0] = net.taskParameterCount();
        if (!train) {
            return () -> {
                try (NDScope scope = new NDScope()) {
                    CareNetwork.Output out = net.forward(images, -1, routing, false);
                    net.logits(out.features());
                    return meanExperts(out.experts());
                }
            };
        }
        List<NDArray> trainable = net.trainableParameters();
        trainable.forEach(p -> p.setRequiresGradient(true));
        Sgd sgd = new Sgd(trainable, 0.9, 5e-4, manager);
        CareObjective objective = new CareObjective(SCALE, 0, true, true);
        int task = spec.tasks() - 1;
        int first = task * spec.classesPerTask();
        return () -> {
            double experts;
            try (NDScope scope = new NDScope();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                CareNetwork.Output out = net.forward(images, task, routing, true);
                NDArray logits = net.logits(out.features()).get(":, " + first + ":" + (first + spec.classesPerTask()));
                gc.backward(objective.compute(logits, out.perceptronLogits(), labels).total());
                experts = meanExperts(out.experts());
            }
            sgd.step(LEARNING_RATE);
            return experts;
        };
    }

    private static Iteration backboneTraining(RowSpec spec, VisionTransformer vit, NDArray images, NDArray labels,
            NDManager manager) {
        CareNetwork.Settings settings = CareNetwork.Settings.published();
        Random rng = new Random(spec.seed());
        List<Expert> shared = new ArrayList<>();
        List<NDArray> trainable = new ArrayList<>();
        for (int i = 0; i < vit.depth(); i++) {
            Expert e = Expert.initial(vit.width(), settings.adapterDim(), DataType.FLOAT32, rng, manager);
            shared.add(e);
            trainable.addAll(e.parameters().values());
        }
        NDArray head = manager.randomNormal(0, 0.02f, new Shape(spec.classesPerTask(), vit.width()),
                DataType.FLOAT32);
        trainable.add(head);
        trainable.forEach(p -> p.setRequiresGradient(true));
        Sgd sgd = new Sgd(trainable, 0.9, 5e-4, manager);
        float dropout = settings.dropout();
        return () -> {
            try (NDScope scope = new NDScope();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray f = vit.forward(images, (i, za) -> shared.get(i).forward(za, dropout));
                NDArray cosines = unit(f).matMul(unit(head).transpose());
                gc.backward(CosFace.loss(cosines, labels, SCALE, 0));
            }
            sgd.step(LEARNING_RATE);
            return 0;
        };
    }

    private static NDArray unit(NDArray v) {
        return v.div(Scalar.atLeast(v.norm(new int[] {1}, true), 1e-12));
    }

    private static double meanExperts(List<int[][]> perBlock) {
        long sum = 0;
        long count = 0;
        for (int[][] block : perBlock) {
            for (int[] sample : block) {
                sum += sample.length;
                count++;
            }
        }
        return count == 0 ? 0 : (double) sum / count;
    }

    /** Resets this process's peak resident set to its current size; false where Linux does not allow it. */
    static boolean clearPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** User plus system time of this process so far, from {@code /proc/self/stat}; NaN elsewhere. */
    static double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // Fields 14 and 15 of proc(5), utime and stime, in clock ticks (100 per second on Linux).
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }
}
