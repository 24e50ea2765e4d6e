package org.care4j.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.care4j.model.VisionTransformer.Architecture;

/**
 * One row of the benchmark matrix and how to measure it.
 *
 * @param shape backbone shape
 * @param mode what runs besides the backbone
 * @param tasks T, the number of synthetic tasks (ignored by {@link Mode#BACKBONE})
 * @param phase task-agnostic inference, or one training step of the known-task path
 * @param batch images per batch
 * @param imageSize image side length
 * @param threads PyTorch intra-op threads
 * @param warmup untimed iterations before timing
 * @param repeats timed iterations; the row reports their median
 * @param seconds time the measurement may spend on timed iterations: when the warm-up shows that
 *     {@code repeats} would take longer, fewer run (at least one), and the row says how many
 * @param classesPerTask classes of every synthetic task
 * @param seed seed of every random weight and image
 */
public record RowSpec(BenchShape shape, Mode mode, int tasks, Phase phase, int batch, int imageSize, int threads,
        int warmup, int repeats, int seconds, int classesPerTask, long seed) {

    /** What the row computes besides the frozen backbone. */
    public enum Mode {
        /** The backbone alone (train phase: with one trainable shared expert per block, see the docs). */
        BACKBONE,
        /** BR-MoE with every expert on every token, as the reference code. */
        DENSE,
        /** BR-MoE with only the selected experts on all tokens. */
        SPARSE;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Mode of(String label) {
            return valueOf(label.trim().toUpperCase(Locale.ROOT));
        }
    }

    /** Which computation is timed. */
    public enum Phase {
        /** Task-agnostic forward pass (task id -1) and cosine logits, no gradients. */
        INFERENCE,
        /** Forward, loss, backward and SGD update of the last task, known-task path. */
        TRAIN;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Phase of(String label) {
            return valueOf(label.trim().toUpperCase(Locale.ROOT));
        }
    }

    public RowSpec {
        if (tasks < 1 || batch < 1 || threads < 1 || warmup < 0 || repeats < 1 || seconds < 1
                || classesPerTask < 2) {
            throw new IllegalArgumentException("invalid benchmark row " + shape.name() + " " + mode + " T=" + tasks
                    + " batch " + batch + " threads " + threads + " warmup " + warmup + " repeats " + repeats
                    + " classes " + classesPerTask);
        }
    }

    /** Command-line arguments of the child process that measures this row ({@code key=value} each). */
    public List<String> toArgs() {
        Architecture a = shape.architecture();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("shape", shape.name());
        m.put("depth", a.depth());
        m.put("width", a.width());
        m.put("heads", a.heads());
        m.put("patch", a.patch());
        m.put("mlp", a.mlpWidth());
        m.put("grid", a.pretrainGrid());
        m.put("mode", mode.label());
        m.put("tasks", tasks);
        m.put("phase", phase.label());
        m.put("batch", batch);
        m.put("image", imageSize);
        m.put("threads", threads);
        m.put("warmup", warmup);
        m.put("repeats", repeats);
        m.put("seconds", seconds);
        m.put("classes", classesPerTask);
        m.put("seed", seed);
        List<String> out = new ArrayList<>();
        m.forEach((k, v) -> out.add(k + "=" + v));
        return out;
    }

    /** Reads what {@link #toArgs()} wrote. */
    public static RowSpec parse(String[] args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("expected key=value, got '" + arg + "'");
            }
            m.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Architecture a = new Architecture(integer(m, "depth"), integer(m, "width"), integer(m, "heads"),
                integer(m, "patch"), integer(m, "mlp"), integer(m, "grid"));
        return new RowSpec(new BenchShape(value(m, "shape"), a), Mode.of(value(m, "mode")), integer(m, "tasks"),
                Phase.of(value(m, "phase")), integer(m, "batch"), integer(m, "image"), integer(m, "threads"),
                integer(m, "warmup"), integer(m, "repeats"), integer(m, "seconds"),
                integer(m, "classes"), Long.parseLong(value(m, "seed")));
    }

    private static String value(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing " + key + "=...");
        }
        return v;
    }

    private static int integer(Map<String, String> m, String key) {
        return Integer.parseInt(value(m, key));
    }

    /** {@code vit-tiny sparse T=300 train batch 16}. */
    public String describe() {
        return shape.name() + " " + mode.label() + " T=" + tasks + " " + phase.label() + " batch " + batch;
    }
}
