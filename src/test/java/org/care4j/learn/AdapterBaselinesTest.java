package org.care4j.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.care4j.data.Batch;
import org.care4j.model.AdaptFormer;
import org.care4j.model.VisionTransformer;
import org.junit.jupiter.api.Test;

/**
 * APER-Adapter and fine-tuning on three small tasks of a tiny random ViT: APER's adapter trains in the first task
 * and is bit-for-bit unchanged by the next two, while its prototypes keep growing; fine-tuning changes every
 * tensor of the shared adapter in every task and leaves older heads alone.
 */
class AdapterBaselinesTest {

    private static final int WIDTH = 32;
    private static final AdapterTuning.Settings SETTINGS = new AdapterTuning.Settings(3, 0.05, 0, 5e-4, 20, 1993);

    private static VisionTransformer vit(NDManager manager) {
        return VisionTransformer.random(new VisionTransformer.Architecture(2, WIDTH, 2, 8, 64, 2), 16,
                DataType.FLOAT32, 5, manager);
    }

    private static List<TaskData> tasks(NDManager manager) {
        return List.of(new CareLearnerBookkeepingTest.SyntheticTask(0, 0, 3, manager),
                new CareLearnerBookkeepingTest.SyntheticTask(1, 3, 2, manager),
                new CareLearnerBookkeepingTest.SyntheticTask(2, 5, 2, manager));
    }

    @Test
    void aperTrainsTheAdapterOnTheFirstTaskOnlyAndThenOnlyAddsPrototypes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = vit(manager);
            List<TaskData> tasks = tasks(manager);
            AdaptFormer adapted = AdaptFormer.create(vit, 8, 0.1f, 7, manager);
            try (AperAdapterLearner learner = new AperAdapterLearner(adapted, SETTINGS, manager);
                    SimpleCilLearner frozen = new SimpleCilLearner(vit, manager)) {
                Map<String, float[]> initial = snapshot(adapted.state(""));
                assertFalse(learner.adapterFrozen());

                learner.learnTask(tasks.get(0));
                Map<String, float[]> afterFirst = snapshot(adapted.state(""));
                assertTrue(learner.adapterFrozen());
                for (String name : initial.keySet()) {
                    assertFalse(Arrays.equals(initial.get(name), afterFirst.get(name)), name + " did not train");
                }
                adapted.parameters().forEach(p -> assertFalse(p.hasGradient(), "adapter left trainable"));

                learner.learnTask(tasks.get(1));
                assertBitIdentical(afterFirst, snapshot(adapted.state("")), "task 2");
                learner.learnTask(tasks.get(2));
                assertBitIdentical(afterFirst, snapshot(adapted.state("")), "task 3");

                // Prototypes: 7 classes of concat(frozen, adapted) features; the frozen half is SimpleCIL's.
                NDArray prototypes = learner.state().get("prototypes");
                assertEquals(new Shape(7, 2 * WIDTH), prototypes.getShape());
                tasks.forEach(frozen::learnTask);
                assertArrayEquals(frozen.state().get("prototypes").toFloatArray(),
                        prototypes.get(":, 0:" + WIDTH).toFloatArray(), 1e-6f);
                float[] adaptedHalf = prototypes.get(":, " + WIDTH + ":").toFloatArray();
                float[] expected = adaptedClassMeans(adapted, tasks, manager);
                assertArrayEquals(expected, adaptedHalf, 1e-5f);

                Batch batch = tasks.get(2).featureBatches().iterator().next();
                Prediction p = learner.predict(batch.images(manager));
                assertEquals(7, p.classes());
                assertEquals(batch.size() * 7, p.scores().length);
                for (float s : p.scores()) {
                    assertTrue(s >= -1.0001f && s <= 1.0001f, "cosine out of range: " + s);
                }
                assertTrue(learner.state().keySet().containsAll(adapted.state("adapter.").keySet()));
                assertEquals(adapted.parameterCount() + 7 * 2 * WIDTH, learner.parametersAdded());
            }
        }
    }

    @Test
    void fineTuningChangesTheSharedAdapterInEveryTaskAndNeverTouchesOlderHeads() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = vit(manager);
            List<TaskData> tasks = tasks(manager);
            AdaptFormer network = AdaptFormer.create(vit, 8, 0.1f, 7, manager);
            try (FineTuneLearner learner = new FineTuneLearner(network, SETTINGS, manager)) {
                Map<String, float[]> before = snapshot(network.state(""));
                Map<String, float[]> heads = Map.of();
                for (TaskData task : tasks) {
                    learner.learnTask(task);
                    Map<String, float[]> after = snapshot(network.state(""));
                    for (String name : before.keySet()) {
                        assertFalse(Arrays.equals(before.get(name), after.get(name)),
                                name + " did not change in task " + (task.task() + 1));
                    }
                    Map<String, float[]> headsNow = snapshot(learner.state());
                    for (String name : heads.keySet()) {
                        assertArrayEquals(heads.get(name), headsNow.get(name), name + " changed");
                    }
                    network.parameters().forEach(p -> assertFalse(p.hasGradient(), "adapter left trainable"));
                    before = after;
                    heads = new LinkedHashMap<>(headsNow);
                    heads.keySet().removeIf(k -> !k.startsWith("fc.heads."));
                }
                assertEquals(List.of(new Shape(3, WIDTH), new Shape(2, WIDTH), new Shape(2, WIDTH)),
                        learner.classifier().heads().stream().map(NDArray::getShape).toList());
                assertEquals(network.parameterCount() + 7 * WIDTH, learner.parametersAdded());

                Batch batch = tasks.get(0).featureBatches().iterator().next();
                Prediction p = learner.predict(batch.images(manager));
                assertEquals(7, p.classes());
                for (float s : p.scores()) {
                    assertTrue(s >= -1.0001f && s <= 1.0001f, "cosine out of range: " + s);
                }
            }
        }
    }

    /** Class means of the adapted feature, one image per forward pass, in double. */
    private static float[] adaptedClassMeans(AdaptFormer adapted, List<TaskData> tasks, NDManager manager) {
        double[] sums = new double[7 * WIDTH];
        int[] counts = new int[7];
        for (TaskData task : tasks) {
            for (Batch b : task.featureBatches()) {
                int n = 3 * b.imageSize() * b.imageSize();
                for (int i = 0; i < b.size(); i++) {
                    float[] px = Arrays.copyOfRange(b.pixels(), i * n, (i + 1) * n);
                    try (NDArray x = manager.create(px, new Shape(1, 3, b.imageSize(), b.imageSize()));
                            NDArray f = adapted.forward(x, false)) {
                        double[] v = f.toType(DataType.FLOAT64, false).toDoubleArray();
                        int c = (int) b.labels()[i];
                        counts[c]++;
                        for (int j = 0; j < WIDTH; j++) {
                            sums[c * WIDTH + j] += v[j];
                        }
                    }
                }
            }
        }
        float[] means = new float[sums.length];
        for (int k = 0; k < sums.length; k++) {
            means[k] = (float) (sums[k] / counts[k / WIDTH]);
        }
        return means;
    }

    private static void assertBitIdentical(Map<String, float[]> expected, Map<String, float[]> actual, String when) {
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            assertArrayEquals(expected.get(name), actual.get(name), name + " changed in " + when);
        }
    }

    private static Map<String, float[]> snapshot(Map<String, NDArray> state) {
        Map<String, float[]> m = new LinkedHashMap<>();
        state.forEach((k, v) -> m.put(k, v.toType(DataType.FLOAT32, false).toFloatArray()));
        return m;
    }
}
