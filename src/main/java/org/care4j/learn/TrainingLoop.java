package org.care4j.learn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import org.care4j.data.Batch;
import org.care4j.runtime.CareException;
import org.care4j.runtime.Progress;

/**
 * The one minibatch loop every method trains with: per batch a native-memory scope, the method's loss under a
 * gradient collector, a finiteness check, backward, and an SGD step.
 */
public final class TrainingLoop {

    /** A method's loss on one batch; called with gradients recorded. */
    @FunctionalInterface
    public interface BatchLoss {
        NDArray compute(Batch batch, NDManager manager);
    }

    /** Something done before every batch, outside gradient recording (e.g. shared-expert anchoring). */
    @FunctionalInterface
    public interface BeforeBatch {
        void run();
    }

    /**
     * Totals of one epoch.
     *
     * @param meanLoss mean batch loss
     * @param images images seen
     * @param seconds wall time
     */
    public record Epoch(double meanLoss, long images, double seconds) {
        public double imagesPerSecond() {
            return images / Math.max(seconds, 1e-9);
        }
    }

    private TrainingLoop() {}

    /**
     * Runs one epoch over {@code batches}.
     *
     * @param where names the epoch in errors and progress ("task 3 stage 1 epoch 2")
     */
    public static Epoch epoch(Iterable<Batch> batches, long totalImages, Sgd sgd, double lr,
            BeforeBatch before, BatchLoss loss, NDManager manager, String where) {
        double sum = 0;
        int count = 0;
        long images = 0;
        try (Progress progress = Progress.start(where, totalImages)) {
            for (Batch batch : batches) {
                if (before != null) {
                    before.run();
                }
                try (NDScope scope = new NDScope();
                        GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray value = loss.compute(batch, manager);
                    double v = scalar(value);
                    if (!Double.isFinite(v)) {
                        int bad = sgd.nonFiniteParameters();
                        finite(value, where + " batch " + (count + 1)
                                + (bad > 0 ? " (" + bad + " trainable tensors already hold NaN or infinity)" : ""));
                    }
                    sum += v;
                    gc.backward(value);
                }
                sgd.step(lr);
                count++;
                images += batch.size();
                progress.advance(batch.size());
            }
            return new Epoch(count == 0 ? Double.NaN : sum / count, images, progress.seconds());
        }
    }

    private static double scalar(NDArray loss) {
        return loss.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
    }

    /** The scalar value of {@code loss}; stops the run with a clear message when it is NaN or infinite. */
    public static double finite(NDArray loss, String where) {
        double v = scalar(loss);
        if (!Double.isFinite(v)) {
            throw new CareException("the loss became " + v + " at " + where
                    + "; the run stops here (lower the learning rate, or check the data and the backbone)");
        }
        return v;
    }
}
