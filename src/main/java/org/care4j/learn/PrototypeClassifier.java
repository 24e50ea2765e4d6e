package org.care4j.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.function.UnaryOperator;
import org.care4j.data.Batch;
import org.care4j.runtime.CareException;
import org.care4j.runtime.Scalar;

/**
 * Nearest class mean by cosine similarity, the classifier of SimpleCIL and APER: one prototype per class, the
 * mean feature of the class's training images under the test transform, and
 * {@code score(x, c) = f(x) . mu_c / (||f(x)|| ||mu_c||)}.
 *
 * <p>Shapes: prototypes {@code P: [C, d]}, row c for the class at class-order position c; features
 * {@code [B, d]}; scores {@code [B, C]} in [-1, 1]. Means are summed in double precision and kept in float32.
 * A class's prototype is computed once, when its task is learned, and never changes afterwards.
 */
final class PrototypeClassifier implements AutoCloseable {

    private final int width;
    private final NDManager manager;
    private NDArray prototypes;
    private NDArray unitPrototypes;

    /** An empty classifier for features of width {@code width}. */
    PrototypeClassifier(int width, NDManager parent) {
        this.width = width;
        this.manager = parent.newSubManager();
    }

    /**
     * Appends the prototypes of the task's classes.
     *
     * @param features maps float32 images {@code [B, 3, S, S]} to features {@code [B, d]}
     */
    void addTask(TaskData task, UnaryOperator<NDArray> features) {
        if (task.firstClass() != classes()) {
            throw new IllegalArgumentException("task " + task.task() + " starts at class " + task.firstClass()
                    + " but " + classes() + " classes have prototypes");
        }
        int first = task.firstClass();
        int count = task.classes();
        double[] sums = new double[count * width];
        int[] images = new int[count];
        for (Batch batch : task.featureBatches()) {
            float[] f;
            try (NDScope scope = new NDScope()) {
                NDArray out = features.apply(batch.images(manager));
                if (out.getShape().dimension() != 2 || out.getShape().get(1) != width) {
                    throw new IllegalStateException("features of shape " + out.getShape() + ", expected [B, "
                            + width + "]");
                }
                f = out.toType(DataType.FLOAT32, false).toFloatArray();
            }
            long[] labels = batch.labels();
            for (int i = 0; i < labels.length; i++) {
                int c = (int) labels[i] - first;
                if (c < 0 || c >= count) {
                    throw new IllegalArgumentException("task " + task.task() + " holds classes " + first + " to "
                            + (first + count - 1) + " but an image is labelled " + labels[i]);
                }
                images[c]++;
                for (int j = 0; j < width; j++) {
                    sums[c * width + j] += f[i * width + j];
                }
            }
        }
        float[] means = new float[count * width];
        for (int c = 0; c < count; c++) {
            if (images[c] == 0) {
                throw new CareException("class at position " + (first + c) + " has no training images, so it "
                        + "has no prototype");
            }
            for (int j = 0; j < width; j++) {
                means[c * width + j] = (float) (sums[c * width + j] / images[c]);
            }
        }
        NDArray added = manager.create(means, new Shape(count, width));
        NDArray all = prototypes == null ? added : prototypes.concat(added, 0);
        if (prototypes != null) {
            prototypes.close();
            added.close();
            unitPrototypes.close();
        }
        prototypes = all;
        unitPrototypes = unit(all);
        // The prototypes outlive any scope the caller may have opened.
        NDScope.unregister(prototypes, unitPrototypes);
    }

    /** Cosine scores {@code [B, C]} of features {@code [B, d]} against every prototype. */
    NDArray scores(NDArray features) {
        if (prototypes == null) {
            throw new IllegalStateException("no class learned yet");
        }
        return unit(features.toType(DataType.FLOAT32, false)).matMul(unitPrototypes.transpose());
    }

    /** Classes with a prototype. */
    int classes() {
        return prototypes == null ? 0 : (int) prototypes.getShape().get(0);
    }

    /** The prototypes {@code [C, d]}, or null before the first task. */
    NDArray prototypes() {
        return prototypes;
    }

    long parameterCount() {
        return prototypes == null ? 0 : prototypes.size();
    }

    /** Rows scaled to unit length: {@code v / max(||v||, 1e-12)}, as the cosine classifier does. */
    private static NDArray unit(NDArray v) {
        return v.div(Scalar.atLeast(v.norm(new int[] {1}, true), 1e-12));
    }

    @Override
    public void close() {
        manager.close();
    }
}
