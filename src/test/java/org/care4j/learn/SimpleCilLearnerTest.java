package org.care4j.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.care4j.data.Batch;
import org.care4j.model.VisionTransformer;
import org.junit.jupiter.api.Test;

/**
 * SimpleCIL against a hand computation: a feature that is each image's mean colour, three classes of two
 * single-colour images each, prototypes and cosines worked out on paper. Then the real backbone: prototypes and
 * scores equal class means and cosines computed here, one image at a time, in double precision.
 */
class SimpleCilLearnerTest {

    private static final int SIDE = 2;

    /** The hand-computable feature: each image's mean colour, {@code [B, 3, S, S] -> [B, 3]}. */
    private static final UnaryOperator<NDArray> MEAN_COLOUR = x -> x.mean(new int[] {3}).mean(new int[] {2});

    @Test
    void prototypesAreClassMeansAndPredictionIsTheCosineNearestPrototype() {
        try (NDManager manager = NDManager.newBaseManager();
                SimpleCilLearner learner = new SimpleCilLearner(3, MEAN_COLOUR, manager)) {
            // Class 0: colours (1,0,0) and (3,2,0), mean (2,1,0). Class 1: (0,1,0) and (0,3,2), mean (0,2,1).
            learner.learnTask(new ColourTask(0, 0, new float[][] {{1, 0, 0}, {0, 1, 0}, {3, 2, 0}, {0, 3, 2}},
                    new long[] {0, 1, 0, 1}));
            NDArray queries = images(manager, new float[][] {{1, 0, 0}, {0, 0, 1}, {0, 1, 0}});
            double r5 = Math.sqrt(5);
            double r6 = Math.sqrt(6);

            Prediction p = learner.predict(queries);
            // cos((1,0,0),(2,1,0)) = 2/sqrt5, cos((0,0,1),(0,2,1)) = 1/sqrt5, cos((0,1,0),(2,1,0)) = 1/sqrt5, ...
            assertArrayEquals(new float[] {(float) (2 / r5), 0, 0, (float) (1 / r5), (float) (1 / r5),
                    (float) (2 / r5)}, p.scores(), 1e-6f);
            assertArrayEquals(new int[] {0, 1, 1}, new int[] {p.top(0, 1)[0], p.top(1, 1)[0], p.top(2, 1)[0]});

            // Class 2 (task 1): (1,1,1) and (1,1,3), mean (1,1,2); it takes (0,0,1) from class 1.
            learner.learnTask(new ColourTask(1, 2, new float[][] {{1, 1, 1}, {1, 1, 3}}, new long[] {2, 2}));
            p = learner.predict(queries);
            assertArrayEquals(new float[] {(float) (2 / r5), 0, (float) (1 / r6), 0, (float) (1 / r5),
                    (float) (2 / r6), (float) (1 / r5), (float) (2 / r5), (float) (1 / r6)}, p.scores(), 1e-6f);
            assertArrayEquals(new int[] {0, 2, 1}, new int[] {p.top(0, 1)[0], p.top(1, 1)[0], p.top(2, 1)[0]});
            assertEquals(3, p.classes());
            assertEquals(List.of(), p.routers());

            NDArray prototypes = learner.state().get("prototypes");
            assertEquals(new Shape(3, 3), prototypes.getShape());
            assertArrayEquals(new float[] {2, 1, 0, 0, 2, 1, 1, 1, 2}, prototypes.toFloatArray(), 0f);
            assertEquals(9, learner.parametersAdded());
        }
    }

    @Test
    void eachTestImageGoesThroughTheFrozenBackboneOnce() {
        int[] rows = {0};
        UnaryOperator<NDArray> counting = x -> {
            rows[0] += (int) x.getShape().get(0);
            return MEAN_COLOUR.apply(x);
        };
        try (NDManager manager = NDManager.newBaseManager();
                SimpleCilLearner learner = new SimpleCilLearner(3, counting, manager)) {
            learner.learnTask(new ColourTask(0, 0, new float[][] {{1, 0, 0}, {0, 1, 0}}, new long[] {0, 1}));
            assertEquals(2, rows[0]);
            float[] first = learner.predict(images(manager, new float[][] {{1, 0, 0}, {0, 0, 1}})).scores();
            assertEquals(4, rows[0]);
            // One image seen before, one new: only the new one is computed, and the old one scores the same.
            float[] second = learner.predict(images(manager, new float[][] {{0, 2, 1}, {0, 0, 1}})).scores();
            assertEquals(5, rows[0]);
            assertArrayEquals(Arrays.copyOfRange(first, 2, 4), Arrays.copyOfRange(second, 2, 4));
            float r5 = (float) Math.sqrt(5);
            assertArrayEquals(new float[] {0, 2 / r5}, Arrays.copyOfRange(second, 0, 2), 1e-6f);
        }
    }

    @Test
    void aTaskMustStartWhereTheKnownClassesEnd() {
        try (NDManager manager = NDManager.newBaseManager();
                SimpleCilLearner learner = new SimpleCilLearner(3, MEAN_COLOUR, manager)) {
            learner.learnTask(new ColourTask(0, 0, new float[][] {{1, 0, 0}, {0, 1, 0}}, new long[] {0, 1}));
            assertThrows(IllegalArgumentException.class, () -> learner.learnTask(
                    new ColourTask(1, 3, new float[][] {{1, 1, 1}}, new long[] {3})));
        }
    }

    @Test
    void onTheBackboneMatchesClassMeansOfSingleImageFeatures() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = VisionTransformer.random(
                    new VisionTransformer.Architecture(2, 32, 2, 8, 64, 2), 16, DataType.FLOAT32, 5, manager);
            List<TaskData> tasks = List.of(new CareLearnerBookkeepingTest.SyntheticTask(0, 0, 3, manager),
                    new CareLearnerBookkeepingTest.SyntheticTask(1, 3, 2, manager));
            try (SimpleCilLearner learner = new SimpleCilLearner(vit, manager)) {
                tasks.forEach(learner::learnTask);

                // Independent computation: one image per forward pass, sums in double.
                Map<Integer, double[]> sums = new HashMap<>();
                Map<Integer, Integer> counts = new HashMap<>();
                List<double[]> queries = new ArrayList<>();
                List<Batch> queryBatches = new ArrayList<>();
                for (TaskData task : tasks) {
                    for (Batch b : task.featureBatches()) {
                        queryBatches.add(b);
                        for (int i = 0; i < b.size(); i++) {
                            double[] f = feature(vit, b, i, manager);
                            queries.add(f);
                            int c = (int) b.labels()[i];
                            double[] s = sums.computeIfAbsent(c, k -> new double[32]);
                            for (int j = 0; j < 32; j++) {
                                s[j] += f[j];
                            }
                            counts.merge(c, 1, Integer::sum);
                        }
                    }
                }
                float[] expected = new float[5 * 32];
                for (int c = 0; c < 5; c++) {
                    for (int j = 0; j < 32; j++) {
                        expected[c * 32 + j] = (float) (sums.get(c)[j] / counts.get(c));
                    }
                }
                assertArrayEquals(expected, learner.state().get("prototypes").toFloatArray(), 1e-5f);

                int q = 0;
                for (Batch b : queryBatches) {
                    Prediction p = learner.predict(b.images(manager));
                    for (int i = 0; i < b.size(); i++, q++) {
                        for (int c = 0; c < 5; c++) {
                            double cos = cosine(queries.get(q), sums.get(c));
                            assertEquals(cos, p.scores()[i * 5 + c], 1e-5, "image " + q + " class " + c);
                        }
                    }
                }
                assertEquals(5 * 32, learner.parametersAdded());
            }
        }
    }

    private static double[] feature(VisionTransformer vit, Batch b, int i, NDManager manager) {
        int n = 3 * b.imageSize() * b.imageSize();
        float[] px = java.util.Arrays.copyOfRange(b.pixels(), i * n, (i + 1) * n);
        try (NDArray x = manager.create(px, new Shape(1, 3, b.imageSize(), b.imageSize()));
                NDArray f = vit.forward(x, null)) {
            return f.toType(DataType.FLOAT64, false).toDoubleArray();
        }
    }

    private static double cosine(double[] a, double[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int j = 0; j < a.length; j++) {
            dot += a[j] * b[j];
            na += a[j] * a[j];
            nb += b[j] * b[j];
        }
        return dot / Math.sqrt(na) / Math.sqrt(nb);
    }

    private static NDArray images(NDManager manager, float[][] colours) {
        return manager.create(pixels(colours), new Shape(colours.length, 3, SIDE, SIDE));
    }

    /** Images of one colour each, CHW. */
    private static float[] pixels(float[][] colours) {
        int plane = SIDE * SIDE;
        float[] px = new float[colours.length * 3 * plane];
        for (int i = 0; i < colours.length; i++) {
            for (int ch = 0; ch < 3; ch++) {
                java.util.Arrays.fill(px, (i * 3 + ch) * plane, (i * 3 + ch + 1) * plane, colours[i][ch]);
            }
        }
        return px;
    }

    /** One task of single-colour images, served as batches of two. */
    private static final class ColourTask implements TaskData {
        private final int task;
        private final int first;
        private final List<Batch> batches = new ArrayList<>();
        private final int classes;

        ColourTask(int task, int first, float[][] colours, long[] labels) {
            this.task = task;
            this.first = first;
            this.classes = (int) java.util.Arrays.stream(labels).distinct().count();
            for (int s = 0; s < colours.length; s += 2) {
                int n = Math.min(2, colours.length - s);
                float[][] part = java.util.Arrays.copyOfRange(colours, s, s + n);
                int[] idx = {s, s + 1};
                batches.add(new Batch(n, SIDE, pixels(part), java.util.Arrays.copyOfRange(labels, s, s + n),
                        java.util.Arrays.copyOf(idx, n)));
            }
        }

        @Override
        public int task() {
            return task;
        }

        @Override
        public int firstClass() {
            return first;
        }

        @Override
        public int classes() {
            return classes;
        }

        @Override
        public long trainImages() {
            return batches.stream().mapToLong(Batch::size).sum();
        }

        @Override
        public Iterable<Batch> trainBatches(long seed) {
            return batches;
        }

        @Override
        public Iterable<Batch> featureBatches() {
            return batches;
        }
    }
}
