package org.care4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A hand-checked evaluation after task 2 of a run with two classes per task: positions 0-1 belong to task 0,
 * 2-3 to task 1, 4-5 to task 2 (6-7 to a task 3 not yet seen).
 */
class TaskEvaluationTest {

    private static final double EXACT = 1e-12;

    private static final int[] TASK_OF_POSITION = {0, 0, 1, 1, 2, 2, 3, 3};

    /** True positions of eight test images; their tasks are 0, 0, 1, 1, 2, 2, 0, 2. */
    private static final int[] TRUTH = {0, 1, 2, 3, 4, 5, 0, 5};

    /**
     * Top-5 predictions, best first. Top-1 right: images 0, 2, 4, 5 (4 of 8 = 50 %). Top-5 right: also 1 and 6
     * (6 of 8 = 75 %). Per group: task 0 = images 0, 1, 6 -> 1 of 3; task 1 = images 2, 3 -> 1 of 2;
     * task 2 = images 4, 5, 7 -> 2 of 3.
     */
    private static final int[][] RANKED = {
        {0, 1, 2, 3, 4},
        {0, 1, 2, 3, 4},
        {2, 0, 1, 3, 4},
        {5, 4, 2, 1, 0},
        {4, 0, 1, 2, 3},
        {5, 0, 1, 2, 3},
        {3, 0, 1, 2, 4},
        {1, 2, 3, 4, 0},
    };

    /**
     * Picked routers per block and image (M = 2). Block 0 hits the true task for images 0, 2, 4, 5, 6
     * (5 of 8 = 62.5 %); block 1 hits it for all eight (100 %).
     */
    private static final int[][][] ROUTERS = {
        {{0, 1}, {1, 2}, {1, 2}, {0, 2}, {2, 1}, {2, 0}, {0, 2}, {1, 0}},
        {{0, 1}, {0, 2}, {1, 0}, {1, 2}, {2, 0}, {2, 1}, {0, 1}, {2, 1}},
    };

    /**
     * Experts with a weight, the top-3 of each picked router (-1 pads a router with fewer experts). Block 0
     * holds the true task's expert for images 0, 1 (through router 1), 2 and 5: 4 of 8 = 50 %. Block 1 misses
     * only image 7: 7 of 8 = 87.5 %.
     */
    private static final int[][][] EXPERTS = {
        {{0, 1, 2, 0, 1, -1}, {1, 2, 0, 2, 1, 0}, {1, 0, -1, 2, 1, 0}, {0, 2, -1, 2, 0, -1},
            {1, 0, -1, 0, 1, -1}, {2, 0, 1, 0, -1, -1}, {1, 2, -1, 2, 1, -1}, {1, 0, -1, 0, -1, -1}},
        {{0, 1, -1, 1, 0, -1}, {0, -1, -1, 2, 1, 0}, {1, 0, -1, 0, 1, -1}, {1, 2, 0, 2, 1, 0},
            {2, 1, 0, 0, 1, -1}, {2, 1, 0, 1, 0, 2}, {0, 1, -1, 1, 0, -1}, {1, 0, -1, 1, 0, -1}},
    };

    private static void assertHandComputed(TaskEvaluation e) {
        assertEquals(2, e.task());
        assertEquals(8, e.samples());
        assertEquals(50.0, e.top1(), EXACT);
        assertEquals(75.0, e.top5(), EXACT);
        assertArrayEquals(new double[] {100.0 / 3, 50.0, 200.0 / 3}, e.groupAccuracy(), EXACT);
        assertArrayEquals(new int[] {3, 2, 3}, e.groupSamples());
        assertEquals(List.of(new BlockRouting(0, 62.5, 50.0), new BlockRouting(1, 100.0, 87.5)), e.routing());
    }

    @Test
    void oneBatchGivesTheHandComputedNumbers() {
        TaskEvaluation e = TaskEvaluation.builder(2, TASK_OF_POSITION)
                .addPredictions(TRUTH, RANKED)
                .addRouting(TRUTH, ROUTERS, EXPERTS)
                .seconds(1.5)
                .build();
        assertHandComputed(e);
        assertEquals(1.5, e.seconds());
        assertEquals("after task 3: top-1 50.00%, top-5 75.00%, mean R@M 81.3%, E@K 68.8% (8 images, 1.5 s)",
                e.summary());
    }

    @Test
    void batchesAddUpToTheSameNumbers() {
        TaskEvaluation.Builder b = TaskEvaluation.builder(2, 6, p -> TASK_OF_POSITION[p]);
        for (int[] range : new int[][] {{0, 5}, {5, 8}}) {
            int[] truth = Arrays.copyOfRange(TRUTH, range[0], range[1]);
            b.addPredictions(truth, flatten(Arrays.copyOfRange(RANKED, range[0], range[1])), 5);
            for (int block = 0; block < 2; block++) {
                b.addRouting(block, truth, Arrays.copyOfRange(ROUTERS[block], range[0], range[1]),
                        Arrays.copyOfRange(EXPERTS[block], range[0], range[1]));
            }
        }
        assertHandComputed(b.build());
    }

    @Test
    void topFiveIsUnmeasuredWithFewerColumnsThanItNeeds() {
        int[][] firstOnly = Arrays.stream(RANKED).map(r -> new int[] {r[0]}).toArray(int[][]::new);
        TaskEvaluation e = TaskEvaluation.builder(2, TASK_OF_POSITION).addPredictions(TRUTH, firstOnly).build();
        assertEquals(50.0, e.top1(), EXACT);
        assertTrue(Double.isNaN(e.top5()));
        assertEquals(List.of(), e.routing());
        assertTrue(Double.isNaN(e.seconds()));
    }

    @Test
    void topFiveNeedsOnlyAsManyColumnsAsSeenClasses() {
        // After task 0 only positions 0 and 1 exist: two columns rank everything, so top-5 is 100 %.
        TaskEvaluation e = TaskEvaluation.builder(0, TASK_OF_POSITION)
                .addPredictions(new int[] {0, 1, 1}, new int[][] {{0, 1}, {0, 1}, {1, 0}})
                .build();
        assertEquals(200.0 / 3, e.top1(), EXACT);
        assertEquals(100.0, e.top5(), EXACT);
        assertArrayEquals(new double[] {200.0 / 3}, e.groupAccuracy(), EXACT);
    }

    @Test
    void unseenTruePositionIsACallerBug() {
        TaskEvaluation.Builder b = TaskEvaluation.builder(2, TASK_OF_POSITION);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.addPredictions(new int[] {6}, new int[][] {{6}}));
        assertEquals("true class position 6 is not among the 6 classes seen after task 2", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> b.addPredictions(new int[] {0, 1}, new int[][] {{0}}));
        assertThrows(IllegalArgumentException.class, () -> b.addPredictions(new int[] {0}, new int[] {0, 1}, 5));
    }

    private static int[] flatten(int[][] rows) {
        return Arrays.stream(rows).flatMapToInt(Arrays::stream).toArray();
    }
}
