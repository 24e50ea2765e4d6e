package org.care4j.bench;

import org.care4j.learn.ClassStatistics;
import org.care4j.model.CareNetwork;
import org.care4j.model.VisionTransformer.Architecture;

/**
 * Memory of what grows with the number of tasks T, for a backbone of depth L and width d, expert bottleneck
 * r and c classes per task, in float32:
 * <ul>
 *   <li>experts: {@code L T (2 r d + r + 4 d)} (down and up projections with biases, LayerNorm, scale);
 *   <li>routers: router t has t + 1 outputs, so {@code L (d + 1) T (T + 1) / 2} (the only quadratic term);
 *   <li>class perceptrons: {@code L T (2 d + c (d + 1))};
 *   <li>classifier heads: {@code T c d};
 *   <li>class statistics (outside the network): per class a mean of d floats and the Cholesky factor of
 *       its covariance, as {@link ClassStatistics#bytes()} counts it for the chosen storage.
 * </ul>
 * The shared experts ({@code L (2 r' d + r' + 4 d)}, r' = 64) do not grow and are left out.
 *
 * @param experts expert parameters
 * @param routers router parameters
 * @param perceptrons class perceptron parameters
 * @param heads classifier head parameters
 * @param statisticsBytes bytes of the class statistics of all {@code tasks * classesPerTask} classes
 */
public record ParameterMemory(int tasks, int classesPerTask, long experts, long routers, long perceptrons,
        long heads, long statisticsBytes) {

    private static final double MIB = 1024.0 * 1024.0;

    /** The figures for {@code tasks} tasks of {@code classesPerTask} classes. */
    public static ParameterMemory of(Architecture arch, CareNetwork.Settings settings, int tasks,
            int classesPerTask, ClassStatistics.Storage storage) {
        long l = arch.depth();
        long d = arch.width();
        long r = settings.expertDim();
        long t = tasks;
        long c = classesPerTask;
        long experts = l * t * (2 * r * d + r + 4 * d);
        long routers = l * (d + 1) * t * (t + 1) / 2;
        long perceptrons = l * t * (2 * d + c * (d + 1));
        long heads = t * c * d;
        return new ParameterMemory(tasks, classesPerTask, experts, routers, perceptrons, heads,
                statisticsBytesPerClass((int) d, storage) * t * c);
    }

    /** Bytes {@link ClassStatistics} keeps per class (mean and covariance factor) with {@code storage}. */
    static long statisticsBytesPerClass(int width, ClassStatistics.Storage storage) {
        ClassStatistics one = new ClassStatistics(width, ClassStatistics.Kind.COVARIANCE, storage,
                ClassStatistics.RIDGE);
        int stored = storage == ClassStatistics.Storage.FULL ? width * width : width * (width + 1) / 2;
        one.restore(0, new float[width], new float[stored]);
        return one.bytes();
    }

    /** Parameters that grow with tasks; equals {@link CareNetwork#taskParameterCount()}. */
    public long taskParameters() {
        return experts + routers + perceptrons + heads;
    }

    /** {@link #taskParameters()} in float32, MiB. */
    public double taskParameterMb() {
        return taskParameters() * 4 / MIB;
    }

    public double routerMb() {
        return routers * 4 / MIB;
    }

    public double statisticsMb() {
        return statisticsBytes / MIB;
    }
}
