package org.care4j.model;

import static org.care4j.GoldenFile.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.Random;
import org.care4j.model.BrMoeBlock.Routing;
import org.junit.jupiter.api.Test;

/**
 * The packed banks keep one copy of what tasks add: learning a task leaves no handle on a former bank
 * (a view would keep its whole storage alive, T^3 / 6 router rows over T tasks), and loading T tasks at once
 * gives the same network as learning them one by one.
 */
class TaskBankMemoryTest {

    private static final VisionTransformer.Architecture TOY = new VisionTransformer.Architecture(2, 32, 2, 8, 64, 2);

    @Test
    void learningATaskAddsOnlyItsClassifierHeadToTheArraysHeld() {
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = VisionTransformer.random(TOY, 16, DataType.FLOAT32, 3, manager);
            CareNetwork net = CareNetwork.create(vit, new CareNetwork.Settings(4, 8, 2, 3, 0f), 11, manager);
            for (int t = 0; t < 3; t++) {
                net.beginTask(3);
                net.endTask();
            }
            int before = manager.getManagedArrays().size();
            for (int t = 3; t < 15; t++) {
                net.beginTask(3);
                net.endTask();
            }
            assertEquals(before + 12, manager.getManagedArrays().size(), "12 tasks add 12 heads and nothing else");
        }
    }

    @Test
    void loadingTasksAtOnceEqualsLearningThemOneByOne() {
        try (NDManager manager = NDManager.newBaseManager(); NDScope scope = new NDScope()) {
            VisionTransformer vit = VisionTransformer.random(TOY, 16, DataType.FLOAT32, 3, manager);
            CareNetwork.Settings settings = new CareNetwork.Settings(4, 8, 2, 3, 0f);
            CareNetwork learned = CareNetwork.create(vit, settings, 11, manager);
            int[] classes = {2, 4, 4, 3, 3, 3, 2};
            for (int c : classes) {
                learned.beginTask(c);
                learned.endTask();
            }
            SparseDenseEquivalenceTest.randomise(learned, new Random(5));
            Map<String, NDArray> state = learned.state();
            for (boolean learning : new boolean[] {false, true}) {
                CareNetwork loaded = CareNetwork.fromState(vit, settings, classes, learning,
                        name -> state.get(name).duplicate(), manager);
                assertEquals(classes.length, loaded.tasks());
                assertEquals(learning, loaded.learning());
                assertEquals(learned.taskParameterCount(), loaded.taskParameterCount());
                Map<String, NDArray> again = loaded.state();
                assertEquals(state.keySet(), again.keySet());
                state.forEach((name, value) -> assertArrayEquals(value.toFloatArray(), again.get(name).toFloatArray(),
                        name));
                NDArray images = manager.randomNormal(new Shape(4, 3, 16, 16));
                int task = learning ? classes.length - 1 : -1;
                // The task being learned runs outside the bank, so products group differently: equal up to
                // float32 rounding.
                assertClose("features, learning " + learning,
                        toDouble(learned.forward(images, task, Routing.SPARSE, false).features().toFloatArray()),
                        loaded.forward(images, task, Routing.SPARSE, false).features(), 1e-6, 1e-5);
            }
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
