package org.care4j.learn;

import static org.care4j.GoldenFile.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.care4j.GoldenFile;
import org.care4j.model.BrMoeBlock.Routing;
import org.care4j.model.CareNetwork;
import org.care4j.model.Expert;
import org.care4j.model.VisionTransformer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One training step against the official {@code _init_train} (golden {@code train_*.safetensors}, README
 * section 4.2): shared-expert anchoring, the forward of the known-task path, every loss term, and the gradient
 * of every trainable parameter, in float64 and float32, with sparse and dense routing.
 */
class TrainStepGoldenTest {

    static Stream<Arguments> cases() {
        return Stream.of("train_T5_task4_noema", "train_T5_task4_ema", "train_T1_task0",
                "train_depth7_T3_task2_ema").flatMap(f -> Stream.of(
                        Arguments.of(f, DataType.FLOAT64, Routing.SPARSE),
                        Arguments.of(f, DataType.FLOAT64, Routing.DENSE),
                        Arguments.of(f, DataType.FLOAT32, Routing.SPARSE)));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void lossAndGradientsMatchReference(String file, DataType type, Routing routing) throws Exception {
        boolean f64 = type == DataType.FLOAT64;
        String suffix = f64 ? "" : "_f32";
        try (GoldenFile g = GoldenFile.open(file + ".safetensors");
                NDManager manager = NDManager.newBaseManager();
                NDScope scope = new NDScope()) {
            int[] incs = g.ints("incs");
            int task = Integer.parseInt(g.tensors().metadata().get("task_id"));
            int known = (int) g.longs("in.known_classes")[0];
            int heads = g.metadata("vit").get("num_heads").asInt();
            VisionTransformer vit = VisionTransformer.load(g.tensors(), "param.backbone.", heads, 16, type, manager);
            CareNetwork net = CareNetwork.fromState(vit, new CareNetwork.Settings(4, 8, 2, 3, 0f), incs, true,
                    name -> g.get(manager, "param." + name, type), manager);
            for (int l = 0; l < vit.depth(); l++) {
                String ema = "param.backbone.adapter.adapter_layer" + l + ".ema_adapter.";
                if (g.has(ema + "scale")) {
                    Map<String, NDArray> copy = new LinkedHashMap<>();
                    for (String n : Expert.NAMES) {
                        copy.put(n, g.get(manager, ema + n, type));
                    }
                    net.blocks().get(l).shared().anchorTo(Expert.of(copy), 0.999);
                }
            }
            List<NDArray> trainable = net.trainableParameters();
            trainable.forEach(p -> p.setRequiresGradient(true));
            NDArray images = g.get(manager, "in.images", type);
            NDArray labels = g.get(manager, "in.labels", DataType.INT64).sub(known);
            CareObjective.Terms terms;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                CareNetwork.Output out = net.forward(images, task, routing, true);
                NDArray logits = net.logits(out.features());
                terms = new CareObjective(20, 0, true, true).compute(logits.get(":, " + known + ":"),
                        out.perceptronLogits(), labels);
                // A collection between forward and backward must not disturb what autograd saved (DJL's
                // scalar operands once borrowed Java buffers that the collector freed).
                System.gc();
                gc.backward(terms.total());
            }
            double lossTol = f64 ? 1e-9 : 1e-4;
            assertClose(file + " loss", g.doubles("out.loss" + suffix), terms.total(), lossTol, lossTol);
            if (f64) {
                assertClose("loss_main", g.doubles("out.loss_main"), terms.main(), 1e-10, 1e-9);
                assertClose("loss_aux", g.doubles("out.loss_aux"), terms.auxiliary(), 1e-10, 1e-9);
                for (int l = 0; l < vit.depth(); l++) {
                    assertClose("aux_hard." + l, g.doubles("out.aux_hard." + l), terms.hard().get(l), 1e-10, 1e-9);
                    assertClose("aux_soft." + l, g.doubles("out.aux_soft." + l), terms.soft().get(l), 1e-10, 1e-9);
                }
            }
            int compared = 0;
            double maxGrad = 0;
            for (String name : g.tensors().names()) {
                if (name.startsWith("grad" + suffix + ".")) {
                    maxGrad = Math.max(maxGrad, Stream.of(g.doubles(name)).flatMapToDouble(java.util.Arrays::stream)
                            .map(Math::abs).max().orElse(0));
                }
            }
            Map<String, NDArray> state = net.state();
            for (String name : g.tensors().names()) {
                String prefix = "grad" + suffix + ".";
                if (!name.startsWith(prefix)) {
                    continue;
                }
                String param = name.substring(prefix.length());
                NDArray p = state.get(param);
                assertNotNull(p, "no parameter " + param);
                double abs = f64 ? 1e-10 : 1e-4 * maxGrad;
                double rel = f64 ? 1e-9 : 1e-4;
                assertClose(file + " " + name, g.doubles(name), p.getGradient(), abs, rel);
                compared++;
            }
            assertEquals(expectedGradients(vit.depth(), task), compared, "gradients compared");
            String after = f64 ? "param_after." : "param_after_f32.";
            for (String name : g.tensors().names()) {
                if (name.startsWith(after)) {
                    String param = name.substring(after.length());
                    assertClose(name, g.doubles(name), state.get(param), f64 ? 1e-12 : 1e-7, 1e-12);
                }
            }
        }
    }

    /** Per block: expert (7), router (2, absent at task 0), perceptron (4), shared expert (7); plus heads. */
    private static int expectedGradients(int depth, int task) {
        return depth * (7 + (task == 0 ? 0 : 2) + 4 + 7) + task + 1;
    }
}
