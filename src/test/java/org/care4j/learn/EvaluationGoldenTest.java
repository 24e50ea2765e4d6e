package org.care4j.learn;

import static org.care4j.GoldenFile.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.stream.Stream;
import org.care4j.GoldenFile;
import org.care4j.model.BrMoeBlock.Routing;
import org.care4j.model.CareNetwork;
import org.care4j.model.VisionTransformer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whole-model evaluation against {@code vit_eval_T5.safetensors} (README section 4.3): features, ViT head and
 * cosine logits of the task-agnostic path and of every known-task path with its per-block perceptron logits,
 * and the official iterative evaluator's entropies, chosen tasks, scores and top-5 predictions.
 */
class EvaluationGoldenTest {

    static Stream<Arguments> cases() {
        return Stream.of(Arguments.of(DataType.FLOAT64, Routing.SPARSE), Arguments.of(DataType.FLOAT64,
                Routing.DENSE), Arguments.of(DataType.FLOAT32, Routing.SPARSE));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void wholeModelAndIterativePredictionMatchReference(DataType type, Routing routing) throws Exception {
        boolean f64 = type == DataType.FLOAT64;
        String sfx = f64 ? "" : "_f32";
        double abs = f64 ? 1e-10 : 2e-5;
        try (GoldenFile g = GoldenFile.open("vit_eval_T5.safetensors");
                NDManager manager = NDManager.newBaseManager();
                NDScope scope = new NDScope()) {
            int[] incs = g.ints("incs");
            int heads = g.metadata("vit").get("num_heads").asInt();
            VisionTransformer vit = VisionTransformer.load(g.tensors(), "param.backbone.", heads, 16, type, manager);
            CareNetwork net = CareNetwork.fromState(vit, new CareNetwork.Settings(4, 8, 2, 3, 0f), incs, false,
                    name -> g.get(manager, "param." + name, type), manager);
            NDArray images = g.get(manager, "in.images", type);

            CareNetwork.Output full = net.forward(images, -1, routing, false);
            assertClose("full.features", g.doubles("full.features" + sfx), full.features(), abs, abs);
            assertClose("full.head_logits", g.doubles("full.head_logits" + sfx), vit.headLogits(full.features()),
                    abs, abs);
            assertClose("full.fc_logits", g.doubles("full.fc_logits" + sfx), net.logits(full.features()), abs, abs);
            for (int t = 0; t < incs.length; t++) {
                String p = "semi.t" + t + ".";
                CareNetwork.Output semi = net.forward(images, t, routing, false);
                assertClose(p + "features", g.doubles(p + "features" + sfx), semi.features(), abs, abs);
                assertClose(p + "fc_logits", g.doubles(p + "fc_logits" + sfx), net.logits(semi.features()), abs, abs);
                for (int l = 0; l < vit.depth(); l++) {
                    assertClose(p + "latents." + l, g.doubles(p + "latents." + l + sfx),
                            semi.perceptronLogits().get(l), abs, abs);
                }
            }

            CareLearner.Scores s = CareLearner.scores(net, images, true, routing, 20);
            double[] entropy = g.doubles("eval_cnn.task_entropy" + sfx);
            double[] ours = new double[entropy.length];
            for (int t = 0; t < incs.length; t++) {
                System.arraycopy(s.entropies()[t], 0, ours, t * 3, 3);
            }
            assertClose("task_entropy", entropy, ours, f64 ? 1e-9 : 1e-4, 1e-6);
            long[] chosen = g.longs("eval_cnn.min_entropy_task" + sfx);
            for (int i = 0; i < 3; i++) {
                assertEquals(chosen[i], s.chosenTask()[i], "min-entropy task of sample " + i);
            }
            double[] scores = new double[s.scores().length];
            for (int i = 0; i < scores.length; i++) {
                scores[i] = s.scores()[i];
            }
            assertClose("scores", g.doubles("eval_cnn.scores" + sfx), scores, 1e-6, 1e-5);
            Prediction prediction = new Prediction(s.scores(), 18, s.routers(), s.experts());
            long[] top5 = g.longs("eval_cnn.y_pred" + sfx);
            for (int i = 0; i < 3; i++) {
                long[] row = java.util.Arrays.stream(prediction.top(i, 5)).asLongStream().toArray();
                assertArrayEquals(java.util.Arrays.copyOfRange(top5, i * 5, i * 5 + 5), row, "top-5 of sample " + i);
            }
        }
    }
}
