package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The class order against NumPy's own output, recorded in {@code golden/order.json}. */
class ClassOrderTest {

    private static JsonNode golden;

    @BeforeAll
    static void readGolden() throws IOException {
        golden = new ObjectMapper().readTree(SharedFiles.path("golden/order.json").toFile());
    }

    @Test
    void everyRecordedPermutationIsReproducedExactly() {
        int checked = 0;
        for (Iterator<Map.Entry<String, JsonNode>> seeds = golden.get("permutations").fields();
                seeds.hasNext(); ) {
            Map.Entry<String, JsonNode> seed = seeds.next();
            for (Iterator<Map.Entry<String, JsonNode>> sizes = seed.getValue().fields();
                    sizes.hasNext(); ) {
                Map.Entry<String, JsonNode> size = sizes.next();
                int[] expected = ints(size.getValue());
                int n = Integer.parseInt(size.getKey());
                ClassOrder order = ClassOrder.numpyPermutation(n, Long.parseLong(seed.getKey()));
                assertArrayEquals(expected, order.order(), "seed " + seed.getKey() + ", n " + n);
                for (int p = 0; p < n; p++) {
                    assertEquals(p, order.positionOf(expected[p]));
                }
                checked++;
            }
        }
        assertEquals(28, checked, "4 seeds x 7 sizes in order.json");
    }

    @Test
    void seedingIsInitGenrand() {
        JsonNode s = golden.get("seed1993");
        int[] state = new Mt19937(1993).stateWords();
        long[] first8 = longs(s.get("mt_state_after_seed_first8"));
        for (int i = 0; i < 8; i++) {
            assertEquals(first8[i], state[i] & 0xFFFFFFFFL, "key word " + i);
        }
        long[] last2 = longs(s.get("mt_state_after_seed_last2"));
        assertEquals(last2[0], state[622] & 0xFFFFFFFFL);
        assertEquals(last2[1], state[623] & 0xFFFFFFFFL);
    }

    @Test
    void rawDrawsRandintAndRandMatchNumpy() {
        JsonNode s = golden.get("seed1993");
        Mt19937 raw = new Mt19937(1993);
        for (long v : longs(s.get("raw_uint32_first10"))) {
            assertEquals(v, raw.nextUint32());
        }
        Mt19937 hundred = new Mt19937(1993);
        for (long v : longs(s.get("randint_0_100_first10"))) {
            assertEquals(v, hundred.randint(0, 100));
        }
        Mt19937 ten = new Mt19937(1993);
        for (long v : longs(s.get("randint_0_10_first10"))) {
            assertEquals(v, ten.randint(0, 10));
        }
        Mt19937 uniform = new Mt19937(1993);
        for (JsonNode hex : s.get("rand_first10_hex")) {
            assertEquals(Double.parseDouble(hex.asText()), uniform.rand());
        }
    }

    @Test
    void permutationTraceShowsEveryDrawAndRejection() {
        Mt19937 rng = new Mt19937(1993);
        for (JsonNode step : golden.get("seed1993").get("permutation10_trace")) {
            long[] draws = longs(step.get("uint32_draws"));
            long mask = step.get("mask").asLong();
            int i = step.get("i").asInt();
            for (int d = 0; d < draws.length; d++) {
                long v = rng.nextUint32();
                assertEquals(draws[d], v, "draw " + d + " for i=" + i);
                boolean accepted = (v & mask) <= i;
                assertEquals(d == draws.length - 1, accepted, "rejection pattern for i=" + i);
            }
            assertEquals(step.get("j").asLong(), draws[draws.length - 1] & mask);
        }
    }

    @Test
    void identityAndExplicitOrders() {
        assertArrayEquals(new int[] {0, 1, 2}, ClassOrder.identity(3).order());
        ClassOrder o = ClassOrder.of(2, 0, 1);
        assertEquals(1, o.positionOf(0));
        assertEquals(2, o.classAt(0));
        assertThrows(IllegalArgumentException.class, () -> ClassOrder.of(0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Mt19937(1L << 32));
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }
}
