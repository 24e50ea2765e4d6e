package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * Task splits "B-m Inc-n" against the task counts of the published configs (CARE-SPEC section 8).
 */
class TaskSplitTest {

    @Test
    void publishedConfigsGiveThePublishedTaskCounts() {
        assertEquals(10, new TaskSplit(100, 10, 10).tasks());
        assertEquals(20, new TaskSplit(100, 5, 5).tasks());
        assertEquals(50, new TaskSplit(200, 4, 4).tasks());
        assertEquals(100, new TaskSplit(1000, 10, 10).tasks());
        assertEquals(151, new TaskSplit(1000, 100, 6).tasks());
        assertEquals(301, new TaskSplit(1000, 100, 3).tasks());
    }

    @Test
    void remainderBecomesASmallerLastTask() {
        TaskSplit s = new TaskSplit(23, 5, 6);
        assertEquals(4, s.tasks());
        assertEquals(5, s.classCount(0));
        assertEquals(6, s.classCount(1));
        assertEquals(6, s.classCount(2));
        assertEquals(6, s.classCount(3));
        TaskSplit r = new TaskSplit(25, 5, 6);
        assertEquals(5, r.tasks());
        assertEquals(2, r.classCount(4));
        assertEquals(23, r.firstClass(4));
        assertEquals(25, r.classesUpTo(4));
    }

    @Test
    void taskOfInvertsFirstClass() {
        TaskSplit s = new TaskSplit(1000, 100, 6);
        assertEquals(0, s.taskOf(0));
        assertEquals(0, s.taskOf(99));
        assertEquals(1, s.taskOf(100));
        assertEquals(1, s.taskOf(105));
        assertEquals(2, s.taskOf(106));
        assertEquals(150, s.taskOf(999));
        for (int t = 0; t < s.tasks(); t++) {
            assertEquals(t, s.taskOf(s.firstClass(t)));
            assertEquals(t, s.taskOf(s.firstClass(t) + s.classCount(t) - 1));
        }
    }

    @Test
    void singleTaskAndInvalidSplits() {
        assertEquals(1, new TaskSplit(10, 10, 0).tasks());
        assertThrows(IllegalArgumentException.class, () -> new TaskSplit(10, 0, 5));
        assertThrows(IllegalArgumentException.class, () -> new TaskSplit(10, 11, 5));
        assertThrows(IllegalArgumentException.class, () -> new TaskSplit(10, 5, 0));
    }
}
