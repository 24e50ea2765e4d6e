package org.care4j.bench;

import org.care4j.learn.ClassStatistics;
import org.care4j.model.CareNetwork;
import org.care4j.model.VisionTransformer.Architecture;

/**
 * A rough estimate of the resident memory a row needs, used only to refuse rows that clearly cannot fit
 * (the dense training step at large T) before starting them; the child's measured peak is what the table
 * reports, and a watchdog stops a child that grows past the budget anyway.
 *
 * <p>Per block, in float32 values per token (B N tokens, width d, MLP width m, h heads, expert bottleneck r,
 * shared bottleneck r'): every intermediate stays alive until the iteration ends (DJL frees a forward
 * pass's tensors when its scope closes), about {@code 12 d + 2 m + 2 h N} for the backbone and
 * {@code 8 d + 3 r' + 12 r} for the BR-MoE branch. The dense training step keeps, for backward, about
 * {@code 3 d + 4 r} per token of every expert, which is what makes it grow with T. Routing keeps per sample
 * and block about {@code (4 d + 2 r) T} values (class-token rows, gathered router rows). Training needs
 * about 1.3 times the forward's values. Parameters (backbone and tasks, see {@link ParameterMemory}) and the
 * runtime (JVM and PyTorch, about 400 MiB) come on top.
 */
public final class MemoryEstimate {

    /** JVM, PyTorch and the class files, resident before any tensor. */
    static final double RUNTIME_MB = 400;

    private MemoryEstimate() {}

    /** Estimated peak resident memory of {@code spec}, MiB. */
    public static double megabytes(RowSpec spec) {
        Architecture a = spec.shape().architecture();
        CareNetwork.Settings s = CareNetwork.Settings.published();
        double d = a.width();
        double grid = spec.imageSize() / a.patch();
        double n = 1 + grid * grid;
        double tokens = spec.batch() * n;
        boolean train = spec.phase() == RowSpec.Phase.TRAIN;
        double perToken = 12 * d + 2 * a.mlpWidth() + 2 * a.heads() * n;
        double perSample = 0;
        double parameters = backboneParameters(a);
        if (spec.mode() == RowSpec.Mode.BACKBONE) {
            perToken += train ? 8 * d + 3 * s.adapterDim() : 0;
        } else {
            int t = spec.tasks();
            perToken += 8 * d + 3 * s.adapterDim() + 12 * s.expertDim();
            if (spec.mode() == RowSpec.Mode.DENSE) {
                perToken += train ? t * (3 * d + 4 * s.expertDim()) : 3 * d + 2 * s.expertDim();
            }
            perSample += t * (4 * d + 2 * s.expertDim());
            parameters += ParameterMemory.of(a, s, t, spec.classesPerTask(), ClassStatistics.Storage.PACKED)
                    .taskParameters();
        }
        double values = a.depth() * (tokens * perToken + spec.batch() * perSample) * (train ? 1.3 : 1);
        return RUNTIME_MB + (values + parameters) * 4 / (1024.0 * 1024.0);
    }

    /** Frozen backbone parameters (patch embedding, positions, blocks, final norm). */
    static double backboneParameters(Architecture a) {
        double d = a.width();
        double perBlock = 4 * d + 3 * d * d + 3 * d + d * d + d + 2 * a.mlpWidth() * d + a.mlpWidth() + d;
        double grid = a.pretrainGrid();
        return a.depth() * perBlock + d * 3 * a.patch() * a.patch() + d + d + (1 + grid * grid) * d + 2 * d;
    }
}
