package org.care4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Top-1 accuracy by task group after each evaluated task, and the three summary numbers of a run.
 *
 * <p>Row t holds the evaluation after learning task t (0-based): its overall accuracy {@code A_t} (% of the test
 * images of all classes seen so far that are classified correctly) and, for every group g = 0..t, the accuracy
 * {@code a[t][g]} on the test images of the classes of task g (predictions still range over all seen classes).
 * With {@code eval_every > 1} only some tasks have a row; everything below is over the evaluated rows only.
 * Rows are appended in increasing task order. Values are percentages; a group without test images has NaN.
 *
 * <ul>
 *   <li>Average incremental accuracy {@code Ā = (1 / |E|) * sum over evaluated t of A_t}.
 *   <li>Last accuracy {@code A_B = A_L}, L = the last evaluated task.
 *   <li>Forgetting: with P = the evaluated tasks before L, for every group g < L for which some r in P has
 *       r >= g, {@code f_g = max over r in P, r >= g of a[r][g] - a[L][g]}; forgetting is the mean of f_g over
 *       those groups. Groups learned after the last row of P are skipped (no earlier value exists), and so is the
 *       last group L. A group's term is negative when its final accuracy beats every earlier one.
 * </ul>
 *
 * <p>Each of the three is NaN when undefined: Ā and A_B with no row, forgetting with fewer than two rows (no
 * earlier accuracy exists, so a number, even 0, would claim something unmeasured).
 *
 * <p>PILOT's trainer differs in two ways, which matter only for forgetting: it takes the maximum over all rows
 * including the final one (so no term is negative), and it groups classes by blocks of {@code increment} class
 * positions rather than by task.
 */
public final class AccuracyMatrix {

    private record Row(int task, double accuracy, double[] groups) {}

    private final List<Row> rows = new ArrayList<>();

    /** Appends the row of one task evaluation. */
    public void record(TaskEvaluation evaluation) {
        record(evaluation.task(), evaluation.top1(), evaluation.groupAccuracy());
    }

    /**
     * Appends a row.
     *
     * @param task the task just learned, 0-based, above every recorded one
     * @param accuracy top-1 accuracy in % over all seen classes
     * @param groupAccuracy accuracy in % per group 0..task (length task + 1), NaN for a group without images
     */
    public void record(int task, double accuracy, double[] groupAccuracy) {
        if (task < 0 || (!rows.isEmpty() && task <= lastTask())) {
            throw new IllegalArgumentException("task " + task + " must be above the last recorded task "
                    + lastTask());
        }
        if (groupAccuracy.length != task + 1) {
            throw new IllegalArgumentException("after task " + task + " there are " + (task + 1)
                    + " groups, got " + groupAccuracy.length + " accuracies");
        }
        rows.add(new Row(task, accuracy, groupAccuracy.clone()));
    }

    /** Number of evaluated tasks (rows). */
    public int size() {
        return rows.size();
    }

    /** The evaluated tasks, ascending. */
    public int[] evaluatedTasks() {
        return rows.stream().mapToInt(Row::task).toArray();
    }

    /** The last evaluated task, or -1 when nothing was evaluated. */
    public int lastTask() {
        return rows.isEmpty() ? -1 : rows.get(rows.size() - 1).task();
    }

    /** Whether task {@code task} has a row. */
    public boolean isEvaluated(int task) {
        return find(task) != null;
    }

    /** Overall top-1 accuracy after task {@code task}, NaN when that task was not evaluated. */
    public double accuracy(int task) {
        Row row = find(task);
        return row == null ? Double.NaN : row.accuracy();
    }

    /** Accuracy of group {@code group} after task {@code task}, NaN when not evaluated or {@code group > task}. */
    public double groupAccuracy(int task, int group) {
        Row row = find(task);
        return row == null || group < 0 || group > task ? Double.NaN : row.groups()[group];
    }

    /** The curve: overall accuracy of each evaluated task, in the order of {@link #evaluatedTasks()}. */
    public double[] curve() {
        return rows.stream().mapToDouble(Row::accuracy).toArray();
    }

    /** Ā, the mean of the curve over the evaluated tasks; NaN when nothing was evaluated. */
    public double averageAccuracy() {
        return rows.isEmpty() ? Double.NaN : Arrays.stream(curve()).average().orElseThrow();
    }

    /** A_B, the accuracy after the last evaluated task; NaN when nothing was evaluated. */
    public double lastAccuracy() {
        return rows.isEmpty() ? Double.NaN : rows.get(rows.size() - 1).accuracy();
    }

    /** Mean forgetting as defined in the class comment; NaN with fewer than two evaluated tasks. */
    public double forgetting() {
        if (rows.size() < 2) {
            return Double.NaN;
        }
        Row last = rows.get(rows.size() - 1);
        double sum = 0;
        int groups = 0;
        for (int g = 0; g < last.task(); g++) {
            double best = Double.NaN;
            for (Row row : rows.subList(0, rows.size() - 1)) {
                if (row.task() >= g && !Double.isNaN(row.groups()[g])) {
                    best = Double.isNaN(best) ? row.groups()[g] : Math.max(best, row.groups()[g]);
                }
            }
            double end = last.groups()[g];
            if (!Double.isNaN(best) && !Double.isNaN(end)) {
                sum += best - end;
                groups++;
            }
        }
        return groups == 0 ? Double.NaN : sum / groups;
    }

    private Row find(int task) {
        int low = 0;
        int high = rows.size() - 1;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            int found = rows.get(middle).task();
            if (found == task) {
                return rows.get(middle);
            }
            if (found < task) {
                low = middle + 1;
            } else {
                high = middle - 1;
            }
        }
        return null;
    }
}
