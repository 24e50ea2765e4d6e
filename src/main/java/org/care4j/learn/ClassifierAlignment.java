package org.care4j.learn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.SplittableRandom;
import org.care4j.model.CosineClassifier;
import org.care4j.runtime.Scalar;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Classifier alignment (CARE-SPEC section 5): re-trains only the cosine classifier on features sampled from
 * every seen class's Gaussian, so that old and new heads are calibrated without stored images.
 *
 * <p>Each epoch draws {@code samplesPerClass} features per class from {@code N(scale_c * mu_c, Sigma_c)},
 * shuffles them, and takes one SGD step (momentum 0.9, weight decay 5e-4) per seen class on a minibatch of
 * {@code samplesPerClass} samples, loss = cross-entropy of {@code s * cosine logits}; the learning rate follows
 * a cosine with period 5 epochs.
 *
 * <p>The heads train as one matrix, the concatenation the classifier computes its logits from, and are
 * copied back at the end. That is the same arithmetic as updating every head separately (the optimizer works
 * element by element), but one optimizer step per minibatch instead of one per head: with hundreds of tasks,
 * a per-head step made alignment cost grow with the square of the task count.
 */
public final class ClassifierAlignment {

    private static final Logger LOG = LoggerFactory.getLogger(ClassifierAlignment.class);

    /** How old class means shrink before sampling. */
    public enum Decay {
        /** No shrinking. */
        NONE,
        /**
         * The reference's formula with its negative task size ({@code known - total}): factors between about
         * 0.8 and 0.95, the newest classes shrinking most. The published numbers come from it.
         */
        REFERENCE,
        /** The same formula with a positive task size: factors from 0.9 up to 1.0 for the newest task. */
        POSITIVE
    }

    private ClassifierAlignment() {}

    /**
     * Mean scale factor of every seen class: {@code 0.9 + (t_id + 1) / (task + 1) * 0.1} with
     * {@code t_id = floor(c / taskSize)}.
     */
    public static double[] meanScales(int known, int total, int task, Decay decay) {
        double[] f = new double[total];
        int taskSize = decay == Decay.REFERENCE ? known - total : total - known;
        for (int c = 0; c < total; c++) {
            if (decay == Decay.NONE || taskSize == 0) {
                f[c] = 1.0;
            } else {
                int tId = Math.floorDiv(c, taskSize);
                f[c] = 0.9 + (tId + 1) / (double) (task + 1) * 0.1;
            }
        }
        return f;
    }

    /**
     * Runs the alignment.
     *
     * @param classes seen classes (positions 0..classes-1, all with statistics)
     * @param meanScales per class factor of {@link #meanScales}
     * @param seed seeds the engine's normal draws and the shuffle, so the alignment is repeatable
     */
    public static void run(CosineClassifier classifier, ClassStatistics stats, int classes, double[] meanScales,
            int epochs, int samplesPerClass, double lr, double scale, long seed, NDManager manager) {
        List<NDArray> heads = classifier.heads();
        CosineSchedule schedule = new CosineSchedule(lr, 0, 5);
        Engine.getInstance().setRandomSeed((int) seed);
        SplittableRandom rng = new SplittableRandom(seed);
        try (NDManager alignment = manager.newSubManager()) {
            NDArray weight = fused(heads, alignment);
            train(weight, stats, classes, meanScales, epochs, samplesPerClass, schedule, scale, rng, manager);
            copyBack(weight, heads);
        }
    }

    /** A trainable copy of the heads concatenated, {@code [C, d]}, owned by {@code owner}. */
    private static NDArray fused(List<NDArray> heads, NDManager owner) {
        try (NDScope scope = new NDScope()) {
            NDList detached = new NDList();
            heads.forEach(h -> detached.add(h.stopGradient()));
            NDArray weight = NDArrays.concat(detached, 0);
            NDScope.unregister(weight);
            weight.attach(owner);
            weight.setRequiresGradient(true);
            return weight;
        }
    }

    /** Writes the rows of {@code weight} back into the heads, in place. */
    private static void copyBack(NDArray weight, List<NDArray> heads) {
        long row = 0;
        for (NDArray head : heads) {
            long n = head.getShape().get(0);
            try (NDScope scope = new NDScope()) {
                // A detached view shares the head's storage; x - x + w sets it to w without autograd.
                NDArray view = head.stopGradient();
                view.subi(view).addi(weight.get(row + ":" + (row + n)).stopGradient());
            }
            row += n;
        }
    }

    private static void train(NDArray weight, ClassStatistics stats, int classes, double[] meanScales,
            int epochs, int samplesPerClass, CosineSchedule schedule, double scale, SplittableRandom rng,
            NDManager manager) {
        try (Sgd sgd = new Sgd(List.of(weight), 0.9, 5e-4, manager)) {
            for (int epoch = 0; epoch < epochs; epoch++) {
                double rate = schedule.at(epoch);
                double lossSum = 0;
                try (NDScope scope = new NDScope()) {
                    NDArray[] parts = new NDArray[classes];
                    long[] labels = new long[classes * samplesPerClass];
                    for (int c = 0; c < classes; c++) {
                        parts[c] = stats.sample(c, meanScales[c], samplesPerClass, manager);
                        java.util.Arrays.fill(labels, c * samplesPerClass, (c + 1) * samplesPerClass, c);
                    }
                    long[] order = permutation(labels.length, rng);
                    NDArray orderNd = manager.create(order);
                    NDArray x = NDArrays.concat(new NDList(parts), 0).get(orderNd)
                            .toType(weight.getDataType(), false);
                    NDArray y = manager.create(labels).get(orderNd);
                    for (int it = 0; it < classes; it++) {
                        String range = it * samplesPerClass + ":" + (it + 1) * samplesPerClass;
                        try (NDScope step = new NDScope();
                                GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                            NDArray logits = Scalar.times(CosineClassifier.cosine(x.get(range), weight), scale);
                            NDArray loss = CosFace.crossEntropy(logits, y.get(range));
                            gc.backward(loss);
                            lossSum += TrainingLoop.finite(loss, "classifier alignment epoch " + (epoch + 1));
                        }
                        sgd.step(rate);
                    }
                }
                LOG.debug("alignment epoch {}/{} lr {} loss {}", epoch + 1, epochs, rate, lossSum / classes);
            }
        }
    }

    static long[] permutation(int n, SplittableRandom rng) {
        long[] p = new long[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            long t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
