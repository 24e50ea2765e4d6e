package org.care4j.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.care4j.data.Batch;
import org.care4j.model.BrMoeBlock.Routing;
import org.care4j.model.CareNetwork;
import org.care4j.model.VisionTransformer;
import org.junit.jupiter.api.Test;

/**
 * Two (then three) small tasks on a tiny random ViT: what trains in each stage, that old tasks stay frozen,
 * router widths 1, 2, 3, the learning-rate curve of both stages, and statistics only for the new classes.
 */
class CareLearnerBookkeepingTest {

    private static final int SIZE = 16;

    @Test
    void trainsOnlyTheNewTaskAndKeepsOldTasksFrozen() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = VisionTransformer.random(
                    new VisionTransformer.Architecture(2, 32, 2, 8, 64, 2), SIZE, DataType.FLOAT32, 5, manager);
            CareNetwork net = CareNetwork.create(vit, new CareNetwork.Settings(4, 8, 2, 3, 0.1f), 9, manager);
            ClassStatistics stats = new ClassStatistics(32, ClassStatistics.Kind.COVARIANCE,
                    ClassStatistics.Storage.PACKED, ClassStatistics.RIDGE);
            CareLearner.Settings settings = new CareLearner.Settings(4, 0.01, 0.001, 5e-4, 4, 20, 0, true, true, 2,
                    0.005, ClassifierAlignment.Decay.NONE, true, 1993);
            CareLearner learner = new CareLearner(net, settings, stats, Routing.SPARSE, manager);
            List<CareLearner.EpochEvent> epochs = new ArrayList<>();
            Map<String, TreeSet<String>> trainableByStage = new LinkedHashMap<>();
            learner.onEpoch(e -> {
                epochs.add(e);
                TreeSet<String> names = net.state().entrySet().stream().filter(x -> x.getValue().hasGradient())
                        .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
                trainableByStage.merge(e.task() + "/" + e.stage(), names, (a, b) -> {
                    assertEquals(a, b, "trainable set changes within a stage");
                    return a;
                });
            });

            learner.learnTask(new SyntheticTask(0, 0, 3, manager));
            Map<String, float[]> afterFirst = snapshot(net);
            assertEquals(1, net.blocks().get(0).router(0).width());
            assertEquals(new TreeSet<>(List.of(0, 1, 2)), classes(stats));

            learner.learnTask(new SyntheticTask(1, 3, 2, manager));
            assertEquals(2, net.blocks().get(1).router(1).width());
            assertEquals(new TreeSet<>(List.of(0, 1, 2, 3, 4)), classes(stats));
            Map<String, float[]> afterSecond = snapshot(net);
            for (String name : afterFirst.keySet()) {
                boolean task0Part = name.contains(".adapter.0.") || name.contains(".router.0.")
                        || name.contains(".latent_head.0.");
                if (task0Part) {
                    assertArrayEquals(afterFirst.get(name), afterSecond.get(name), 0f, name + " changed in task 1");
                }
            }
            assertFalse(java.util.Arrays.equals(afterFirst.get("fc.heads.0.0.weight"),
                    afterSecond.get("fc.heads.0.0.weight")), "old heads keep learning (alignment, freeze_old off)");

            learner.learnTask(new SyntheticTask(2, 5, 2, manager));
            assertEquals(3, net.blocks().get(0).router(2).width());

            // What trains: task 0 in one stage; task 1 in two stages with the same set.
            TreeSet<String> task0 = trainableByStage.get("0/0");
            TreeSet<String> task1 = trainableByStage.get("1/1");
            assertEquals(task1, trainableByStage.get("1/2"));
            for (String name : task1) {
                assertTrue(name.contains(".adapter.1.") || name.contains(".router.1.")
                        || name.contains(".latent_head.1.") || name.contains("shared_adapter")
                        || name.startsWith("fc.heads."), name + " should not train in task 1");
            }
            // Per block: expert 7 + router 2 + perceptron 4 + shared 7 = 20, times 2 blocks; plus the heads.
            assertEquals(2 * 20 + 1, task0.size());
            assertEquals(2 * 20 + 2, task1.size());

            // Learning rates: task 0 cosine 0.01 -> 0.001 over 4 epochs; task t >= 1: first half of a cosine over
            // 4 epochs (0.01, then 0.005 at its end), then a fresh cosine from 0.005 to 0 over 2 epochs.
            double[] expected0 = {0.01, 0.001 + 0.009 * (1 + Math.cos(Math.PI / 4)) / 2, 0.0055,
                    0.001 + 0.009 * (1 + Math.cos(3 * Math.PI / 4)) / 2};
            double[] expected1 = {0.01, 0.01 * (1 + Math.cos(Math.PI / 4)) / 2, 0.005, 0.0025};
            double[] got0 = epochs.stream().filter(e -> e.task() == 0).mapToDouble(e -> e.learningRate()).toArray();
            double[] got1 = epochs.stream().filter(e -> e.task() == 1).mapToDouble(e -> e.learningRate()).toArray();
            assertArrayEquals(expected0, got0, 1e-12);
            assertArrayEquals(expected1, got1, 1e-12);
            epochs.forEach(e -> assertTrue(Double.isFinite(e.loss()), "finite loss " + e));
            learner.close();
        }
    }

    private static TreeSet<Integer> classes(ClassStatistics stats) {
        TreeSet<Integer> s = new TreeSet<>();
        stats.classIds().forEach(s::add);
        return s;
    }

    private static Map<String, float[]> snapshot(CareNetwork net) {
        Map<String, float[]> m = new LinkedHashMap<>();
        net.state().forEach((k, v) -> m.put(k, v.toType(DataType.FLOAT32, false).toFloatArray()));
        return m;
    }

    /** Random images of a few classes; each class has its own mean colour so the task is learnable. */
    static final class SyntheticTask implements TaskData {
        private final int task;
        private final int first;
        private final int classes;
        private final List<Batch> batches = new ArrayList<>();

        SyntheticTask(int task, int first, int classes, NDManager manager) {
            this.task = task;
            this.first = first;
            this.classes = classes;
            Random rng = new Random(task);
            int perBatch = 4;
            for (int b = 0; b < 2 * classes; b++) {
                float[] px = new float[perBatch * 3 * SIZE * SIZE];
                long[] labels = new long[perBatch];
                int[] idx = new int[perBatch];
                for (int i = 0; i < perBatch; i++) {
                    int c = (b * perBatch + i) % classes;
                    labels[i] = first + c;
                    idx[i] = b * perBatch + i;
                    for (int j = 0; j < 3 * SIZE * SIZE; j++) {
                        px[i * 3 * SIZE * SIZE + j] = (float) (rng.nextGaussian() * 0.5 + (c - 1) * 0.8);
                    }
                }
                batches.add(new Batch(perBatch, SIZE, px, labels, idx));
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
            return batches.size() * 4L;
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
