package org.care4j.data;

/**
 * The split "B-m Inc-n" of an ordered class list into tasks: task 0 holds the first {@code initCls}
 * positions, every later task the next {@code increment}, and a last, smaller task takes any
 * remainder (as LAMDA-PILOT's {@code DataManager} builds its increments). Works on positions in a
 * {@link ClassOrder}, never on original class indices. Immutable.
 */
public final class TaskSplit {

    private final int numClasses;
    private final int[] first;

    /**
     * @param numClasses classes in the benchmark (at least 1)
     * @param initCls classes in task 0, 1..numClasses
     * @param increment classes in each later task (at least 1 when initCls &lt; numClasses)
     */
    public TaskSplit(int numClasses, int initCls, int increment) {
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }
        if (initCls < 1 || initCls > numClasses) {
            throw new IllegalArgumentException(
                    "init_cls must be between 1 and " + numClasses + ", got " + initCls);
        }
        if (initCls < numClasses && increment < 1) {
            throw new IllegalArgumentException("increment must be at least 1, got " + increment);
        }
        this.numClasses = numClasses;
        int later = initCls == numClasses ? 0 : (numClasses - initCls + increment - 1) / increment;
        first = new int[later + 2];
        first[0] = 0;
        for (int t = 1; t <= later; t++) {
            first[t] = initCls + (t - 1) * increment;
        }
        first[later + 1] = numClasses;
    }

    /** Number of tasks. */
    public int tasks() {
        return first.length - 1;
    }

    /** Number of classes over all tasks. */
    public int numClasses() {
        return numClasses;
    }

    /** First position of a task. */
    public int firstClass(int task) {
        checkTask(task);
        return first[task];
    }

    /** Number of classes (positions) in a task. */
    public int classCount(int task) {
        checkTask(task);
        return first[task + 1] - first[task];
    }

    /** Number of positions in tasks 0..task. */
    public int classesUpTo(int task) {
        checkTask(task);
        return first[task + 1];
    }

    /** The task that holds a position. */
    public int taskOf(int position) {
        if (position < 0 || position >= numClasses) {
            throw new IndexOutOfBoundsException(
                    "position " + position + " outside 0.." + (numClasses - 1));
        }
        int lo = 0;
        int hi = tasks() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (first[mid] <= position) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private void checkTask(int task) {
        if (task < 0 || task >= tasks()) {
            throw new IndexOutOfBoundsException("task " + task + " outside 0.." + (tasks() - 1));
        }
    }

    @Override
    public String toString() {
        return "TaskSplit["
                + numClasses
                + " classes, "
                + tasks()
                + " tasks, first task "
                + classCount(0)
                + (tasks() > 1 ? ", then " + classCount(1) : "")
                + "]";
    }
}
