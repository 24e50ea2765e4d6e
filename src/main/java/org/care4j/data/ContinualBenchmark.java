package org.care4j.data;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * A class-incremental benchmark: a train and a test split of one source, a {@link ClassOrder} and a
 * {@link TaskSplit}. Every label it hands out is a position in the class order (the label the
 * learner sees), never an original class index.
 *
 * <p>Index lists are in dataset order; shuffling is the {@link BatchLoader}'s job. Immutable.
 */
public final class ContinualBenchmark {

    private final String name;
    private final ImageDataset train;
    private final ImageDataset test;
    private final ClassOrder order;
    private final TaskSplit split;
    private final int[] trainPositions;
    private final int[] testPositions;

    private ContinualBenchmark(
            String name, ImageDataset train, ImageDataset test, ClassOrder order, TaskSplit split) {
        this.name = name;
        this.train = train;
        this.test = test;
        this.order = order;
        this.split = split;
        this.trainPositions = positions(train);
        this.testPositions = positions(test);
    }

    /**
     * @throws IllegalArgumentException if the splits, the order and the task split disagree on the
     *     number of classes, or the splits on the class names
     */
    public static ContinualBenchmark of(
            String name, ImageDataset train, ImageDataset test, ClassOrder order, TaskSplit split) {
        int n = train.numClasses();
        if (test.numClasses() != n || order.size() != n || split.numClasses() != n) {
            throw new IllegalArgumentException(
                    name
                            + ": class counts differ: train "
                            + n
                            + ", test "
                            + test.numClasses()
                            + ", order "
                            + order.size()
                            + ", split "
                            + split.numClasses());
        }
        if (!train.classNames().equals(test.classNames())) {
            throw new IllegalArgumentException(name + ": train and test have different classes");
        }
        return new ContinualBenchmark(name, train, test, order, split);
    }

    private int[] positions(ImageDataset ds) {
        int[] p = new int[ds.size()];
        for (int i = 0; i < p.length; i++) {
            p[i] = order.positionOf(ds.label(i));
        }
        return p;
    }

    /** The benchmark's name, e.g. {@code cifar224}. */
    public String name() {
        return name;
    }

    /** Number of tasks. */
    public int tasks() {
        return split.tasks();
    }

    /** Number of classes. */
    public int numClasses() {
        return order.size();
    }

    public TaskSplit split() {
        return split;
    }

    public ClassOrder order() {
        return order;
    }

    public ImageDataset train() {
        return train;
    }

    public ImageDataset test() {
        return test;
    }

    /** Class names in position order (name of the class the learner sees as label p). */
    public List<String> classNamesByPosition() {
        List<String> names = train.classNames();
        return Arrays.stream(order.order()).mapToObj(names::get).toList();
    }

    /** Train images of the task's classes. */
    public int[] trainIndices(int task) {
        return trainIndices(task, 0);
    }

    /**
     * Train images of the task's classes, at most {@code perClass} per class: the first ones in
     * dataset order.
     *
     * @param perClass the cap; 0 or less takes all
     */
    public int[] trainIndices(int task, int perClass) {
        int first = split.firstClass(task);
        int end = first + split.classCount(task);
        if (perClass <= 0) {
            return select(trainPositions, p -> p >= first && p < end);
        }
        int[] taken = new int[end - first];
        return select(trainPositions, p -> p >= first && p < end && taken[p - first]++ < perClass);
    }

    /** Test images of the task's own classes. */
    public int[] testIndices(int task) {
        int first = split.firstClass(task);
        int end = first + split.classCount(task);
        return select(testPositions, p -> p >= first && p < end);
    }

    /** Test images of all classes of tasks 0..task. */
    public int[] testIndicesUpTo(int task) {
        int end = split.classesUpTo(task);
        return select(testPositions, p -> p < end);
    }

    /** The label the learner sees for image {@code index} of {@code ds} (its class's position). */
    public int position(ImageDataset ds, int index) {
        if (ds == train) {
            return trainPositions[index];
        }
        if (ds == test) {
            return testPositions[index];
        }
        return order.positionOf(ds.label(index));
    }

    private static int[] select(int[] positions, IntPredicate keep) {
        int[] out = new int[positions.length];
        int n = 0;
        for (int i = 0; i < positions.length; i++) {
            if (keep.test(positions[i])) {
                out[n++] = i;
            }
        }
        return Arrays.copyOf(out, n);
    }

    @Override
    public String toString() {
        return name + ": " + train.size() + " train / " + test.size() + " test images, " + split;
    }
}
