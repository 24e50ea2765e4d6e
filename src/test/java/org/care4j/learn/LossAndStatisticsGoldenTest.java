package org.care4j.learn;

import static org.care4j.GoldenFile.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.lang.reflect.Method;
import org.care4j.GoldenFile;
import org.junit.jupiter.api.Test;

/**
 * CosFace, the cosine classifier, class statistics and the alignment's mean decay against
 * {@code losses.safetensors} and {@code stats.safetensors} (README sections 4.4 and 4.6).
 */
class LossAndStatisticsGoldenTest {

    @Test
    void cosFaceLossAndGradientMatchReferenceWithAndWithoutMargin() {
        try (GoldenFile g = GoldenFile.open("losses.safetensors");
                NDManager manager = NDManager.newBaseManager();
                NDScope scope = new NDScope()) {
            NDArray labels = g.get(manager, "cos.labels", DataType.INT64);
            for (DataType type : new DataType[] {DataType.FLOAT64, DataType.FLOAT32}) {
                String sfx = type == DataType.FLOAT64 ? "" : "_f32";
                double tol = type == DataType.FLOAT64 ? 1e-12 : 1e-5;
                for (String[] c : new String[][] {{"cos.wf", "cos.m0", "0"}, {"cos.wf", "cos.m0.3", "0.3"},
                        {"cos_unbounded.wf", "cos_unbounded", "0"}}) {
                    NDArray wf = g.get(manager, c[0], type);
                    wf.setRequiresGradient(true);
                    NDArray loss;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        loss = CosFace.loss(wf, labels, 20, Double.parseDouble(c[2]));
                        gc.backward(loss);
                    }
                    if (c[1].equals("cos_unbounded") && type == DataType.FLOAT32) {
                        // The reference overflows to +inf here; the log-sum-exp form stays finite and equals
                        // the float64 reference.
                        assertClose("unbounded f32 loss", g.doubles("cos_unbounded.loss"), loss, 1e-3, 1e-5);
                        assertTrue(Float.isInfinite(g.tensors().floats("cos_unbounded.loss_f32")[0]));
                        continue;
                    }
                    assertClose(c[1] + " loss" + sfx, g.doubles(c[1] + ".loss" + sfx), loss, tol, tol);
                    assertClose(c[1] + " grad" + sfx, g.doubles(c[1] + ".grad_wf" + sfx), wf.getGradient(), tol,
                            tol);
                }
            }
            assertEquals(93.1665, g.doubles("cos_unbounded.loss")[0], 1e-4);
        }
    }

    @Test
    void cosineClassifierLogitsAndGradientsMatchReference() throws Exception {
        try (GoldenFile g = GoldenFile.open("losses.safetensors");
                NDManager manager = NDManager.newBaseManager();
                NDScope scope = new NDScope()) {
            NDArray[] heads = new NDArray[3];
            org.care4j.model.CosineClassifier classifier = newClassifier(manager);
            Method add = classifier.getClass().getDeclaredMethod("addHead", NDArray.class);
            add.setAccessible(true);
            for (int i = 0; i < 3; i++) {
                heads[i] = g.get(manager, "tuna.param.heads." + i + ".0.weight", DataType.FLOAT64);
                heads[i].setRequiresGradient(true);
                add.invoke(classifier, heads[i]);
            }
            NDArray x = g.get(manager, "tuna.x", DataType.FLOAT64);
            x.setRequiresGradient(true);
            NDArray logits;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                logits = classifier.forward(x);
                gc.backward(logits.mul(g.get(manager, "tuna.upstream_grad", DataType.FLOAT64)).sum());
            }
            assertClose("tuna.logits", g.doubles("tuna.logits"), logits, 1e-12, 1e-10);
            assertClose("tuna.grad_x", g.doubles("tuna.grad_x"), x.getGradient(), 1e-12, 1e-10);
            for (int i = 0; i < 3; i++) {
                assertClose("head " + i, g.doubles("tuna.grad.heads." + i + ".0.weight"), heads[i].getGradient(),
                        1e-12, 1e-10);
            }
        }
    }

    private static org.care4j.model.CosineClassifier newClassifier(NDManager manager) throws Exception {
        var ctor = org.care4j.model.CosineClassifier.class.getDeclaredConstructor(int.class, DataType.class,
                NDManager.class);
        ctor.setAccessible(true);
        return ctor.newInstance(24, DataType.FLOAT64, manager);
    }

    @Test
    void classMeansAndRidgedCovariancesMatchReference() {
        try (GoldenFile g = GoldenFile.open("stats.safetensors")) {
            double[] features = g.doubles("in.features");
            double[] means = g.doubles("cls_mean");
            double[] covs = g.doubles("cls_cov");
            ClassStatistics packed = new ClassStatistics(24, ClassStatistics.Kind.COVARIANCE,
                    ClassStatistics.Storage.PACKED, ClassStatistics.RIDGE);
            for (int c = 0; c < 9; c++) {
                double[] f = java.util.Arrays.copyOfRange(features, c * 480, (c + 1) * 480);
                double[][] m = ClassStatistics.moments(f, 20, 24, ClassStatistics.Kind.COVARIANCE,
                        ClassStatistics.RIDGE);
                assertClose("mean " + c, java.util.Arrays.copyOfRange(means, c * 24, c * 24 + 24), m[0], 1e-12, 1e-10);
                double[] cov = java.util.Arrays.copyOfRange(covs, c * 576, (c + 1) * 576);
                assertClose("cov " + c, cov, m[1], 1e-12, 1e-10);
                packed.add(c, f, 20);
                // Stored as a float32 Cholesky factor: the covariance comes back to float precision.
                assertClose("stored cov " + c, cov, packed.covariance(c), 1e-6, 1e-5);
            }
        }
    }

    @Test
    void alignmentMeanDecayReproducesTheReferenceNegativeTaskSizeQuirk() {
        try (GoldenFile g = GoldenFile.open("stats.safetensors")) {
            assertClose("align.decay_factor", g.doubles("align.decay_factor"),
                    ClassifierAlignment.meanScales(6, 9, 1, ClassifierAlignment.Decay.REFERENCE), 1e-15, 0);
            assertClose("align2.decay_factor", g.doubles("align2.decay_factor"),
                    ClassifierAlignment.meanScales(9, 12, 3, ClassifierAlignment.Decay.REFERENCE), 1e-15, 0);
            double[] positive = ClassifierAlignment.meanScales(6, 9, 1, ClassifierAlignment.Decay.POSITIVE);
            assertArrayEquals(new double[] {0.95, 0.95, 0.95, 1.0, 1.0, 1.0, 1.05, 1.05, 1.05}, positive, 1e-12);
            assertArrayEquals(new double[] {1, 1, 1}, ClassifierAlignment.meanScales(0, 3, 0,
                    ClassifierAlignment.Decay.NONE), 0);
        }
    }
}
