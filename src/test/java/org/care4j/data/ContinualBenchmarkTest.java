package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Task membership and label remapping of a benchmark, on a small dataset worked out by hand. */
class ContinualBenchmarkTest {

    // classes 0..4; image i has label LABELS[i]
    private static final int[] TRAIN = {0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 2};
    private static final int[] TEST = {4, 3, 2, 1, 0};

    private final ContinualBenchmark bench =
            ContinualBenchmark.of(
                    "toy",
                    new FakeDataset(5, 2, 2, TRAIN),
                    new FakeDataset(5, 2, 2, TEST),
                    ClassOrder.of(2, 0, 4, 1, 3),
                    new TaskSplit(5, 2, 2));

    @Test
    void tasksHoldTheClassesAtTheirPositions() {
        // positions: class 2 -> 0, 0 -> 1, 4 -> 2, 1 -> 3, 3 -> 4; tasks {0,1}, {2,3}, {4}
        assertEquals(3, bench.tasks());
        assertArrayEquals(new int[] {0, 2, 5, 7, 10, 11}, bench.trainIndices(0));
        assertArrayEquals(new int[] {1, 4, 6, 9}, bench.trainIndices(1));
        assertArrayEquals(new int[] {3, 8}, bench.trainIndices(2));
        assertArrayEquals(new int[] {2, 4}, bench.testIndices(0));
        assertArrayEquals(new int[] {0, 2, 3, 4}, bench.testIndicesUpTo(1));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, bench.testIndicesUpTo(2));
    }

    @Test
    void perClassCapTakesTheFirstImagesOfEachClass() {
        assertArrayEquals(new int[] {0, 2, 5, 7}, bench.trainIndices(0, 2));
        assertArrayEquals(new int[] {0, 2}, bench.trainIndices(0, 1));
        assertArrayEquals(bench.trainIndices(0), bench.trainIndices(0, 0));
    }

    @Test
    void labelsAreRemappedToPositions() {
        assertEquals(0, bench.position(bench.train(), 2));
        assertEquals(3, bench.position(bench.train(), 1));
        assertEquals(2, bench.position(bench.test(), 0));
        assertEquals(List.of("c2", "c0", "c4", "c1", "c3"), bench.classNamesByPosition());
    }

    @Test
    void mismatchedPartsAreRefused() {
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        ContinualBenchmark.of(
                                "bad",
                                new FakeDataset(5, 2, 2, TRAIN),
                                new FakeDataset(4, 2, 2, 0),
                                ClassOrder.identity(5),
                                new TaskSplit(5, 5, 0)));
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        ContinualBenchmark.of(
                                "bad",
                                new FakeDataset(5, 2, 2, TRAIN),
                                new FakeDataset(5, 2, 2, TEST),
                                ClassOrder.identity(5),
                                new TaskSplit(6, 6, 0)));
    }
}
