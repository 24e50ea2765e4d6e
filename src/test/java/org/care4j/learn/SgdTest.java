package org.care4j.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SGD with momentum and weight decay against PyTorch's update rule computed by hand. */
class SgdTest {

    @Test
    void twoStepsFollowPyTorchsMomentumAndWeightDecayRule() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray w = manager.create(new double[] {1.0, -2.0});
            w.setRequiresGradient(true);
            try (Sgd sgd = new Sgd(List.of(w), 0.9, 0.1, manager)) {
                // loss = sum(c * w) has gradient c.
                double[] c = {0.5, 3.0};
                step(w, c, manager);
                sgd.step(0.1);
                // g = c + 0.1 w = [0.6, 2.8]; buf = g; w = w - 0.1 buf = [0.94, -2.28]
                assertArrayEquals(new double[] {0.94, -2.28}, w.toDoubleArray(), 1e-12);
                step(w, c, manager);
                sgd.step(0.05);
                // g = c + 0.1 w = [0.594, 2.772]; buf = 0.9 [0.6, 2.8] + g = [1.134, 5.292];
                // w = w - 0.05 buf = [0.8833, -2.5446]
                assertArrayEquals(new double[] {0.8833, -2.5446}, w.toDoubleArray(), 1e-12);
            }
        }
    }

    private static void step(NDArray w, double[] c, NDManager manager) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(w.mul(manager.create(c)).sum());
        }
    }
}
