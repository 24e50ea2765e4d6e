package org.care4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AccuracyMatrixTest {

    private static final double EXACT = 1e-12;

    @Test
    void everyTaskEvaluated() {
        AccuracyMatrix m = new AccuracyMatrix();
        m.record(0, 90, new double[] {90});
        m.record(1, 80, new double[] {70, 90});
        m.record(2, 70, new double[] {60, 80, 70});

        // Ā = (90 + 80 + 70) / 3 = 80; A_B = 70.
        assertEquals(80, m.averageAccuracy(), EXACT);
        assertEquals(70, m.lastAccuracy(), EXACT);
        // Group 0: best earlier max(90, 70) = 90, final 60 -> 30. Group 1: best earlier 90 (row 1), final 80
        // -> 10. Group 2 is the last group and is left out. Mean (30 + 10) / 2 = 20.
        assertEquals(20, m.forgetting(), EXACT);
        assertArrayEquals(new int[] {0, 1, 2}, m.evaluatedTasks());
        assertArrayEquals(new double[] {90, 80, 70}, m.curve(), EXACT);
        assertEquals(80, m.groupAccuracy(2, 1), EXACT);
        assertTrue(Double.isNaN(m.groupAccuracy(1, 2)));
    }

    @Test
    void everySecondTaskEvaluatedAndTheLast() {
        // Five tasks with eval_every = 2: rows after tasks 1, 3 and 4 (the last).
        AccuracyMatrix m = new AccuracyMatrix();
        m.record(1, 85, new double[] {80, 90});
        m.record(3, 75, new double[] {70, 85, 60, 85});
        m.record(4, 72, new double[] {65, 80, 62, 78, 75});

        // Ā = (85 + 75 + 72) / 3 = 77.333...
        assertEquals(232.0 / 3, m.averageAccuracy(), EXACT);
        assertEquals(72, m.lastAccuracy(), EXACT);
        // g0: max(80, 70) - 65 = 15; g1: max(90, 85) - 80 = 10; g2: only row 3 holds it, 60 - 62 = -2 (a gain);
        // g3: 85 - 78 = 7. Mean (15 + 10 - 2 + 7) / 4 = 7.5.
        assertEquals(7.5, m.forgetting(), EXACT);
        assertFalse(m.isEvaluated(2));
        assertTrue(Double.isNaN(m.accuracy(2)));
        assertEquals(75, m.accuracy(3), EXACT);
    }

    @Test
    void groupsLearnedAfterTheLastEarlierRowAreSkipped() {
        AccuracyMatrix m = new AccuracyMatrix();
        m.record(1, 85, new double[] {80, 90});
        m.record(4, 72, new double[] {65, 80, 62, 78, 75});
        // g0: 80 - 65 = 15; g1: 90 - 80 = 10; g2 and g3 have no earlier accuracy. Mean 12.5.
        assertEquals(12.5, m.forgetting(), EXACT);
    }

    @Test
    void groupsWithoutTestImagesAreSkipped() {
        AccuracyMatrix m = new AccuracyMatrix();
        m.record(1, 85, new double[] {80, Double.NaN});
        m.record(2, 72, new double[] {65, 80, 62});
        // g1 never had images before the last row: only g0 counts, 80 - 65 = 15.
        assertEquals(15, m.forgetting(), EXACT);
    }

    @Test
    void forgettingIsUndefinedWithOneEvaluatedTask() {
        AccuracyMatrix m = new AccuracyMatrix();
        assertTrue(Double.isNaN(m.averageAccuracy()));
        assertTrue(Double.isNaN(m.lastAccuracy()));
        assertTrue(Double.isNaN(m.forgetting()));
        assertEquals(-1, m.lastTask());
        m.record(0, 91.5, new double[] {91.5});
        assertEquals(91.5, m.averageAccuracy(), EXACT);
        assertEquals(91.5, m.lastAccuracy(), EXACT);
        assertTrue(Double.isNaN(m.forgetting()));
    }

    @Test
    void rowsMustComeInTaskOrderWithOneValuePerGroup() {
        AccuracyMatrix m = new AccuracyMatrix();
        m.record(2, 70, new double[] {60, 80, 70});
        assertThrows(IllegalArgumentException.class, () -> m.record(2, 70, new double[] {60, 80, 70}));
        assertThrows(IllegalArgumentException.class, () -> m.record(1, 70, new double[] {60, 80}));
        assertThrows(IllegalArgumentException.class, () -> m.record(3, 70, new double[] {60, 80, 70}));
    }
}
