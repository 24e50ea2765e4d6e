package org.care4j.model;

import static org.care4j.GoldenFile.assertClose;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.care4j.model.BrMoeBlock.Routing;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sparse routing (only experts with weight) computes what dense routing (every expert on every token, as the
 * reference) computes: features and gradients agree in float32 within 1e-5, in the known-task path and the
 * task-agnostic path, on batches whose samples pick different experts.
 */
class SparseDenseEquivalenceTest {

    @ParameterizedTest(name = "T = {0}")
    @ValueSource(ints = {1, 2, 5, 20})
    void sparseAndDenseAgreeInBothPaths(int tasks) {
        try (NDManager manager = NDManager.newBaseManager(); NDScope scope = new NDScope()) {
            VisionTransformer vit = VisionTransformer.random(
                    new VisionTransformer.Architecture(2, 32, 2, 8, 64, 2), 16, DataType.FLOAT32, 3, manager);
            CareNetwork net = CareNetwork.create(vit, new CareNetwork.Settings(4, 8, 2, 3, 0f), 11, manager);
            Random rng = new Random(tasks);
            Engine.getInstance().setRandomSeed(tasks);
            for (int t = 0; t < tasks; t++) {
                net.beginTask(2 + t % 3);
                if (t < tasks - 1) {
                    net.endTask();
                }
            }
            randomise(net, rng);
            NDArray images = manager.randomNormal(0, 1, new Shape(8, 3, 16, 16), DataType.FLOAT32)
                    .mul(manager.arange(4f, 12f).div(4).reshape(8, 1, 1, 1));

            // Known-task path: the task being learned, with gradients of every trainable parameter.
            List<NDArray> trainable = net.trainableParameters();
            trainable.forEach(p -> p.setRequiresGradient(true));
            Set<String> picks = new HashSet<>();
            float[][] sparse = trainStep(net, images, tasks - 1, Routing.SPARSE, trainable, picks);
            float[][] dense = trainStep(net, images, tasks - 1, Routing.DENSE, trainable, new HashSet<>());
            for (int i = 0; i < sparse.length; i++) {
                assertClose("known-task path, array " + i, toDouble(dense[i]), toDouble(sparse[i]), 1e-5, 1e-5);
            }
            trainable.forEach(p -> p.setRequiresGradient(false));
            net.endTask();

            // Task-agnostic path: features and the gradient with respect to the input images.
            NDArray[] grads = new NDArray[2];
            NDArray[] features = new NDArray[2];
            for (Routing routing : Routing.values()) {
                NDArray x = images.duplicate();
                x.setRequiresGradient(true);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    CareNetwork.Output out = net.forward(x, -1, routing, false);
                    features[routing.ordinal()] = out.features().duplicate();
                    gc.backward(net.logits(out.features()).sum());
                    collect(out, "agnostic", picks);
                }
                grads[routing.ordinal()] = x.getGradient().duplicate();
            }
            assertClose("agnostic features", toDouble(features[1].toFloatArray()), features[0], 1e-5, 1e-5);
            assertClose("agnostic input gradient", toDouble(grads[1].toFloatArray()), grads[0], 1e-5, 1e-5);
            if (tasks >= 5) {
                assertTrue(picks.size() > out2blocks(net), "samples pick different experts: " + picks);
            }
        }
    }

    /** Records, per path and block, each sample's set of weighted experts. */
    private static void collect(CareNetwork.Output out, String path, Set<String> picks) {
        for (int b = 0; b < out.experts().size(); b++) {
            for (int[] experts : out.experts().get(b)) {
                int[] sorted = experts.clone();
                Arrays.sort(sorted);
                picks.add(path + " " + b + ":" + Arrays.toString(sorted));
            }
        }
    }

    /** More distinct (path, block, expert set) triples than path-blocks: some block routes samples apart. */
    private static int out2blocks(CareNetwork net) {
        return 2 * net.blocks().size();
    }

    private static float[][] trainStep(CareNetwork net, NDArray images, int task, Routing routing,
            List<NDArray> trainable, Set<String> picks) {
        float[][] out = new float[trainable.size() + 1][];
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            CareNetwork.Output o = net.forward(images, task, routing, true);
            collect(o, "known", picks);
            NDArray loss = net.logits(o.features()).sum();
            for (NDArray p : o.perceptronLogits()) {
                loss = loss.add(p.square().sum());
            }
            out[0] = o.features().toFloatArray();
            gc.backward(loss);
        }
        for (int i = 0; i < trainable.size(); i++) {
            NDArray g = trainable.get(i).getGradient();
            out[i + 1] = g.toFloatArray();
            g.muli(0);
        }
        return out;
    }

    /** Overwrites every BR-MoE and classifier tensor in place with seeded values of a useful scale. */
    static void randomise(CareNetwork net, Random rng) {
        for (Map.Entry<String, NDArray> e : net.state().entrySet()) {
            NDArray a = e.getValue();
            int n = (int) a.size();
            float[] v = new float[n];
            boolean gain = e.getKey().endsWith("norm_before.weight") || e.getKey().endsWith(".0.weight")
                    && e.getKey().contains("latent_head");
            double fanIn = a.getShape().dimension() == 2 ? a.getShape().get(1) : 1;
            for (int i = 0; i < n; i++) {
                double z = rng.nextGaussian();
                v[i] = (float) (gain ? 1 + 0.2 * z : a.getShape().dimension() == 2 ? z / Math.sqrt(fanIn)
                        : e.getKey().endsWith("scale") ? z : 0.1 * z);
            }
            NDArray view = a.stopGradient();
            NDArray values = a.getManager().create(v, a.getShape());
            view.muli(0).addi(values);
            values.close();
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
