package org.care4j.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntUnaryOperator;

/**
 * The evaluation after one task, on the test images of every class seen so far.
 *
 * <p>Classes are named by their <i>position</i> in the run's class order (0 = first class of task 0); the model
 * predicts positions, and {@code taskOfPosition} maps each position to the task that introduced it. From the
 * true positions {@code y: [n]} and the predicted positions ranked best first {@code p: [n, k]}:
 * <ul>
 *   <li>top-1 = % of images with {@code p[i][0] == y[i]}; top-5 = % with {@code y[i]} among
 *       {@code p[i][0..4]} (NaN when fewer than min(5, seen classes) columns were given);
 *   <li>group accuracy of task g = top-1 over the images whose class belongs to task g (NaN without images).
 * </ul>
 * Routing diagnostics (CaRE's single pass) come per block b from the routers picked for each image,
 * {@code routers: [blocks][n][M]} (task indices), and the experts that carry a weight,
 * {@code experts: [blocks][n][K*M]} (expert index = the task that owns it; negative entries are padding, and
 * duplicates are allowed): R@M = % of images whose true task is among its routers, E@K = % whose true task's
 * expert is among its experts.
 *
 * <p>Use {@link #builder} and feed it batch by batch; nothing per image is kept.
 */
public final class TaskEvaluation {

    private final int task;
    private final int samples;
    private final double top1;
    private final double top5;
    private final double[] groupAccuracy;
    private final int[] groupSamples;
    private final List<BlockRouting> routing;
    private final double seconds;

    /**
     * An evaluation from its summary numbers, as stored in a results file.
     *
     * @param task the task just learned, 0-based
     * @param samples test images evaluated
     * @param top1 top-1 accuracy in %
     * @param top5 top-5 accuracy in %, NaN when not measured
     * @param groupAccuracy accuracy in % per task group 0..task
     * @param groupSamples test images per task group, same length
     * @param routing diagnostics per block, empty for methods without routing
     * @param seconds wall time of the evaluation
     */
    public TaskEvaluation(int task, int samples, double top1, double top5, double[] groupAccuracy,
            int[] groupSamples, List<BlockRouting> routing, double seconds) {
        if (groupAccuracy.length != task + 1 || groupSamples.length != task + 1) {
            throw new IllegalArgumentException("after task " + task + " there are " + (task + 1)
                    + " groups, got " + groupAccuracy.length + " accuracies and " + groupSamples.length
                    + " counts");
        }
        this.task = task;
        this.samples = samples;
        this.top1 = top1;
        this.top5 = top5;
        this.groupAccuracy = groupAccuracy.clone();
        this.groupSamples = groupSamples.clone();
        this.routing = List.copyOf(routing);
        this.seconds = seconds;
    }

    /**
     * Starts an evaluation after task {@code task}.
     *
     * @param taskOfPosition the task of each class position; at least the positions seen so far, later ones are
     *     ignored
     */
    public static Builder builder(int task, int[] taskOfPosition) {
        int seen = (int) Arrays.stream(taskOfPosition).filter(t -> t <= task).count();
        int[] copy = taskOfPosition.clone();
        return new Builder(task, seen, position -> copy[position]);
    }

    /**
     * Starts an evaluation after task {@code task}.
     *
     * @param seenClasses classes seen so far (positions 0..seenClasses-1)
     * @param taskOfPosition the task of each class position below {@code seenClasses}
     */
    public static Builder builder(int task, int seenClasses, IntUnaryOperator taskOfPosition) {
        return new Builder(task, seenClasses, taskOfPosition);
    }

    /** The task just learned, 0-based. */
    public int task() {
        return task;
    }

    /** Test images evaluated. */
    public int samples() {
        return samples;
    }

    /** Top-1 accuracy in % over all seen classes. */
    public double top1() {
        return top1;
    }

    /** Top-5 accuracy in %, NaN when fewer than min(5, seen classes) predictions per image were given. */
    public double top5() {
        return top5;
    }

    /** Top-1 accuracy in % per task group 0..task, NaN for a group without test images. */
    public double[] groupAccuracy() {
        return groupAccuracy.clone();
    }

    /** Test images per task group 0..task. */
    public int[] groupSamples() {
        return groupSamples.clone();
    }

    /** Routing diagnostics per block, empty when none were given. */
    public List<BlockRouting> routing() {
        return routing;
    }

    /** Wall time of the evaluation in seconds (NaN when not given). */
    public double seconds() {
        return seconds;
    }

    /** One line for the log: task (counted from 1 here, as people count), accuracies, images and time. */
    public String summary() {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "after task %d: top-1 %.2f%%",
                task + 1, top1));
        if (!Double.isNaN(top5)) {
            line.append(String.format(Locale.ROOT, ", top-5 %.2f%%", top5));
        }
        if (!routing.isEmpty()) {
            double r = routing.stream().mapToDouble(BlockRouting::routerRecall).average().orElseThrow();
            double e = routing.stream().mapToDouble(BlockRouting::expertRecall).average().orElseThrow();
            line.append(String.format(Locale.ROOT, ", mean R@M %.1f%%, E@K %.1f%%", r, e));
        }
        line.append(String.format(Locale.ROOT, " (%d images, %.1f s)", samples, seconds));
        return line.toString();
    }

    @Override
    public String toString() {
        return summary();
    }

    /** Counts predictions and routing batch by batch. Not thread-safe. */
    public static final class Builder {

        private final int task;
        private final int seenClasses;
        private final IntUnaryOperator taskOfPosition;
        private final long[] groupCorrect;
        private final long[] groupTotal;
        private long top5Correct;
        private boolean top5Measured = true;
        private long[] routerHits;
        private long[] expertHits;
        private long[] routed;
        private double seconds = Double.NaN;

        private Builder(int task, int seenClasses, IntUnaryOperator taskOfPosition) {
            if (task < 0 || seenClasses < task + 1) {
                throw new IllegalArgumentException("task " + task + " with " + seenClasses + " seen classes");
            }
            this.task = task;
            this.seenClasses = seenClasses;
            this.taskOfPosition = taskOfPosition;
            this.groupCorrect = new long[task + 1];
            this.groupTotal = new long[task + 1];
        }

        /**
         * Adds a batch of predictions.
         *
         * @param truePositions true class position of each image, {@code [n]}
         * @param ranked predicted positions of each image, best first, {@code [n][k]}, k >= 1
         */
        public Builder addPredictions(int[] truePositions, int[][] ranked) {
            requireSameLength(truePositions.length, ranked.length, "ranked predictions");
            for (int i = 0; i < truePositions.length; i++) {
                addOne(truePositions[i], ranked[i], 0, ranked[i].length);
            }
            return this;
        }

        /**
         * Adds a batch of predictions stored row-major, as a flattened {@code [n, k]} tensor gives them.
         *
         * @param truePositions true class position of each image, {@code [n]}
         * @param ranked predicted positions, {@code [n * k]}, image i at {@code ranked[i*k .. i*k+k-1]}
         * @param k predictions per image
         */
        public Builder addPredictions(int[] truePositions, int[] ranked, int k) {
            if (k < 1 || ranked.length != truePositions.length * k) {
                throw new IllegalArgumentException(truePositions.length + " images with " + k
                        + " predictions each need " + truePositions.length * k + " entries, got "
                        + ranked.length);
            }
            for (int i = 0; i < truePositions.length; i++) {
                addOne(truePositions[i], ranked, i * k, k);
            }
            return this;
        }

        /**
         * Adds the routing of a batch, for all blocks at once.
         *
         * @param truePositions true class position of each image, {@code [n]}
         * @param routers picked router (task) indices, {@code [blocks][n][M]}
         * @param experts indices of the experts that carry a weight, {@code [blocks][n][any]}; negative = padding
         */
        public Builder addRouting(int[] truePositions, int[][][] routers, int[][][] experts) {
            if (routers.length != experts.length) {
                throw new IllegalArgumentException(routers.length + " blocks of routers but " + experts.length
                        + " of experts");
            }
            for (int b = 0; b < routers.length; b++) {
                addRouting(b, truePositions, routers[b], experts[b]);
            }
            return this;
        }

        /**
         * Adds the routing of one block for a batch.
         *
         * @param block block index; the diagnostics have as many blocks as the largest index given
         * @param truePositions true class position of each image, {@code [n]}
         * @param routers picked router (task) indices, {@code [n][M]}
         * @param experts indices of the experts that carry a weight, {@code [n][any]}; negative = padding
         */
        public Builder addRouting(int block, int[] truePositions, int[][] routers, int[][] experts) {
            requireSameLength(truePositions.length, routers.length, "router picks of block " + block);
            requireSameLength(truePositions.length, experts.length, "expert picks of block " + block);
            growTo(block + 1);
            for (int i = 0; i < truePositions.length; i++) {
                int trueTask = taskOf(truePositions[i]);
                if (contains(routers[i], trueTask)) {
                    routerHits[block]++;
                }
                if (contains(experts[i], trueTask)) {
                    expertHits[block]++;
                }
                routed[block]++;
            }
            return this;
        }

        /** Sets the wall time of the evaluation. */
        public Builder seconds(double value) {
            this.seconds = value;
            return this;
        }

        /** The evaluation of everything added so far. */
        public TaskEvaluation build() {
            long total = Arrays.stream(groupTotal).sum();
            long correct = Arrays.stream(groupCorrect).sum();
            double[] groups = new double[task + 1];
            int[] counts = new int[task + 1];
            for (int g = 0; g <= task; g++) {
                groups[g] = percent(groupCorrect[g], groupTotal[g]);
                counts[g] = Math.toIntExact(groupTotal[g]);
            }
            List<BlockRouting> blocks = new ArrayList<>();
            for (int b = 0; routed != null && b < routed.length; b++) {
                blocks.add(new BlockRouting(b, percent(routerHits[b], routed[b]),
                        percent(expertHits[b], routed[b])));
            }
            double top5 = top5Measured && total > 0 ? percent(top5Correct, total) : Double.NaN;
            return new TaskEvaluation(task, Math.toIntExact(total), percent(correct, total), top5, groups, counts,
                    blocks, seconds);
        }

        private void addOne(int truth, int[] ranked, int from, int k) {
            if (k < 1) {
                throw new IllegalArgumentException("an image needs at least one prediction");
            }
            int group = taskOf(truth);
            groupTotal[group]++;
            if (ranked[from] == truth) {
                groupCorrect[group]++;
            }
            if (k < Math.min(5, seenClasses)) {
                top5Measured = false;
            }
            for (int j = from; j < from + Math.min(5, k); j++) {
                if (ranked[j] == truth) {
                    top5Correct++;
                    break;
                }
            }
        }

        private int taskOf(int position) {
            if (position < 0 || position >= seenClasses) {
                throw new IllegalArgumentException("true class position " + position + " is not among the "
                        + seenClasses + " classes seen after task " + task);
            }
            int owner = taskOfPosition.applyAsInt(position);
            if (owner < 0 || owner > task) {
                throw new IllegalArgumentException("class position " + position + " belongs to task " + owner
                        + ", not to tasks 0.." + task);
            }
            return owner;
        }

        private void growTo(int blocks) {
            if (routed == null) {
                routerHits = new long[blocks];
                expertHits = new long[blocks];
                routed = new long[blocks];
            } else if (routed.length < blocks) {
                routerHits = Arrays.copyOf(routerHits, blocks);
                expertHits = Arrays.copyOf(expertHits, blocks);
                routed = Arrays.copyOf(routed, blocks);
            }
        }

        private static boolean contains(int[] values, int wanted) {
            for (int value : values) {
                if (value == wanted) {
                    return true;
                }
            }
            return false;
        }

        private static void requireSameLength(int images, int given, String what) {
            if (images != given) {
                throw new IllegalArgumentException(images + " images but " + given + " rows of " + what);
            }
        }

        private static double percent(long part, long whole) {
            return whole == 0 ? Double.NaN : 100.0 * part / whole;
        }
    }
}
