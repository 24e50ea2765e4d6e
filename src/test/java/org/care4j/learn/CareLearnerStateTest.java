package org.care4j.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import org.care4j.io.SafeTensors;
import org.care4j.io.SafeTensorsWriter;
import org.care4j.model.BrMoeBlock.Routing;
import org.care4j.model.CareNetwork;
import org.care4j.model.VisionTransformer;
import org.care4j.runtime.CareException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A learner written to safetensors and read back predicts exactly as before and keeps its statistics. */
class CareLearnerStateTest {

    @Test
    void writtenAndReadLearnerPredictsIdenticallyAndKeepsStatistics(@TempDir Path dir) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            VisionTransformer vit = VisionTransformer.random(
                    new VisionTransformer.Architecture(2, 32, 2, 8, 64, 2), 16, DataType.FLOAT32, 5, manager);
            CareNetwork.Settings shape = new CareNetwork.Settings(4, 8, 2, 3, 0.1f);
            CareLearner.Settings settings = new CareLearner.Settings(2, 0.01, 0.001, 5e-4, 4, 20, 0, true, true, 1,
                    0.005, ClassifierAlignment.Decay.NONE, true, 7);
            CareLearner learner = new CareLearner(CareNetwork.create(vit, shape, 7, manager), settings,
                    new ClassStatistics(32, ClassStatistics.Kind.COVARIANCE, ClassStatistics.Storage.HALF,
                            ClassStatistics.RIDGE), Routing.SPARSE, manager);
            learner.learnTask(new CareLearnerBookkeepingTest.SyntheticTask(0, 0, 3, manager));
            learner.learnTask(new CareLearnerBookkeepingTest.SyntheticTask(1, 3, 2, manager));
            NDArray images = manager.randomNormal(0, 1, new Shape(5, 3, 16, 16), DataType.FLOAT32);
            Prediction before = learner.predict(images);

            Path file = dir.resolve("state.safetensors");
            SafeTensorsWriter w = new SafeTensorsWriter();
            learner.writeTo(w);
            w.write(file);
            try (SafeTensors in = SafeTensors.open(file)) {
                CareLearner back = CareLearner.readFrom(in, vit, shape, settings,
                        new ClassStatistics(32, ClassStatistics.Kind.COVARIANCE, ClassStatistics.Storage.HALF,
                                ClassStatistics.RIDGE), Routing.SPARSE, manager);
                Prediction after = back.predict(images);
                assertEquals(5, after.classes());
                assertArrayEquals(before.scores(), after.scores(), 0f);
                for (int c = 0; c < 5; c++) {
                    assertArrayEquals(learner.statistics().export(c)[1], back.statistics().export(c)[1], 0f);
                }
                assertEquals(2, back.network().tasks());

                CareException wrongKind = assertThrows(CareException.class, () -> CareLearner.readFrom(in, vit,
                        shape, settings, new ClassStatistics(32, ClassStatistics.Kind.VARIANCE,
                                ClassStatistics.Storage.HALF, ClassStatistics.RIDGE), Routing.SPARSE, manager));
                assertTrue(wrongKind.getMessage().contains("COVARIANCE/HALF/32"), wrongKind.getMessage());
            }
        }
    }
}
