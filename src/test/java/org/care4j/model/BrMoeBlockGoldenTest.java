package org.care4j.model;

import static org.care4j.GoldenFile.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.Random;
import java.util.stream.Stream;
import org.care4j.GoldenFile;
import org.care4j.model.BrMoeBlock.Routing;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One BR-MoE module against the reference MoEAdapter (golden {@code moe_*.safetensors}, README section 4.1):
 * outputs of the task-agnostic and known-task paths, perceptron logits and picked routers, in float64 and
 * float32, with both sparse and dense routing.
 */
class BrMoeBlockGoldenTest {

    static Stream<Arguments> cases() {
        return Stream.of("moe_T5_r2_k3", "moe_T2_r2_k3", "moe_T3_r2_k3", "moe_T1_r2_k3", "moe_T5_r1_k3",
                "moe_T5_r3_k3", "moe_T5_r2_k3_equal").flatMap(f -> Stream.of(
                        Arguments.of(f, DataType.FLOAT64, Routing.SPARSE),
                        Arguments.of(f, DataType.FLOAT64, Routing.DENSE),
                        Arguments.of(f, DataType.FLOAT32, Routing.SPARSE)));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void matchesReferenceModule(String file, DataType type, Routing routing) {
        boolean f64 = type == DataType.FLOAT64;
        String suffix = f64 ? "" : "_f32";
        double abs = f64 ? 1e-10 : 2e-5;
        double rel = f64 ? 1e-10 : 2e-5;
        try (GoldenFile g = GoldenFile.open(file + ".safetensors");
                NDManager manager = NDManager.newBaseManager();
                NDScope scope = new NDScope()) {
            int[] incs = g.ints("incs");
            int routers = Integer.parseInt(g.tensors().metadata().get("topk_routers"));
            int experts = Integer.parseInt(g.tensors().metadata().get("topk_experts"));
            BrMoeBlock block = new BrMoeBlock(24, 4, 8, routers, experts, type, new Random(0), manager);
            block.load(name -> g.get(manager, name, type), "param.", incs.length, false);
            NDArray x = g.get(manager, "in.x", type);

            BrMoeBlock.Output full = block.forward(x, -1, routing, 0f);
            assertClose(file + " full.out", g.doubles("full.out" + suffix), full.branch().add(x), abs, rel);
            if (g.has("full.dbg.router_sel")) {
                assertRouters(g.longs("full.dbg.router_sel"), full.routers(), file + " full");
            }
            for (int t = 0; t < incs.length; t++) {
                String p = "semi.t" + t + ".";
                BrMoeBlock.Output semi = block.forward(x, t, routing, 0f);
                assertClose(file + " " + p + "out", g.doubles(p + "out" + suffix), semi.branch().add(x), abs, rel);
                assertClose(file + " " + p + "cls", g.doubles(p + "cls" + suffix), semi.perceptronLogits(), abs,
                        rel);
                if (g.has(p + "dbg.router_sel")) {
                    assertRouters(g.longs(p + "dbg.router_sel"), semi.routers(), file + " " + p);
                }
            }
        }
    }

    /** Reference layout [R, B]; ours [B][R]. */
    private static void assertRouters(long[] expected, int[][] actual, String what) {
        int b = actual.length;
        int r = actual[0].length;
        long[] ours = new long[r * b];
        for (int j = 0; j < r; j++) {
            for (int i = 0; i < b; i++) {
                ours[j * b + i] = actual[i][j];
            }
        }
        assertArrayEquals(expected, ours, what + " router_sel");
    }
}
