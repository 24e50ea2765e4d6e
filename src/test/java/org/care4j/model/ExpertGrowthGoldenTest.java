package org.care4j.model;

import static org.care4j.GoldenFile.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.Random;
import org.care4j.GoldenFile;
import org.junit.jupiter.api.Test;

/** How a block grows (golden {@code growth.safetensors}, README section 4.7), and router widths. */
class ExpertGrowthGoldenTest {

    @Test
    void newExpertIsTheMeanOfAllButTheNewestOlderExpertAndRoutersWidenByOne() {
        try (GoldenFile g = GoldenFile.open("growth.safetensors");
                NDManager manager = NDManager.newBaseManager();
                NDScope scope = new NDScope()) {
            BrMoeBlock block = new BrMoeBlock(24, 4, 8, 2, 3, DataType.FLOAT64, new Random(0), manager);
            block.load(name -> g.get(manager, name, DataType.FLOAT64), "before.", 3, false);
            block.beginTask(3, new Random(1));
            assertEquals(4, block.tasks());
            for (String n : Expert.NAMES) {
                NDArray ours = block.expert(3).parameters().get(n);
                assertClose("new expert " + n, g.doubles("new_expert." + n), ours, 1e-15, 1e-15);
            }
            for (int t = 0; t < 4; t++) {
                assertEquals(t + 1, block.router(t).width(), "router " + t + " width");
            }
            assertArrayEquals(new long[] {3, 24}, block.perceptron(3).weight().getShape().getShape());
            assertEquals(0.0, block.router(3).bias().abs().sum().getDouble(), 0, "router bias starts at 0");
        }
    }
}
