package org.care4j.eval;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What one task of a run leaves in {@code results.json}: the classes it introduced, its evaluation (when the
 * task was evaluated), training speed, time and memory, and any further numbers the learner wants kept
 * (losses, parameters added, ...). Immutable; made with {@link #builder}.
 */
public final class TaskRecord {

    private final int task;
    private final int[] positions;
    private final TaskEvaluation evaluation;
    private final double trainImagesPerSecond;
    private final double seconds;
    private final double rssMb;
    private final Map<String, Double> extra;

    private TaskRecord(Builder b) {
        this.task = b.task;
        this.positions = b.positions;
        this.evaluation = b.evaluation;
        this.trainImagesPerSecond = b.trainImagesPerSecond;
        this.seconds = b.seconds;
        this.rssMb = b.rssMb;
        this.extra = Collections.unmodifiableMap(new LinkedHashMap<>(b.extra));
    }

    /**
     * Starts the record of task {@code task}.
     *
     * @param task the task, 0-based
     * @param positions the class positions (in the run's class order) that this task introduced
     */
    public static Builder builder(int task, int[] positions) {
        return new Builder(task, positions);
    }

    /** The task, 0-based. */
    public int task() {
        return task;
    }

    /** The class positions this task introduced. */
    public int[] positions() {
        return positions.clone();
    }

    /** The evaluation after this task, or empty when the task was not evaluated. */
    public Optional<TaskEvaluation> evaluation() {
        return Optional.ofNullable(evaluation);
    }

    /** Training images per second over the task's epochs; NaN when not measured. */
    public double trainImagesPerSecond() {
        return trainImagesPerSecond;
    }

    /** Wall time of the whole task (training, statistics, alignment, evaluation); NaN when not measured. */
    public double seconds() {
        return seconds;
    }

    /** Resident memory of the process at the end of the task in MiB; NaN when not measured. */
    public double rssMb() {
        return rssMb;
    }

    /** Further numbers by name, in insertion order. */
    public Map<String, Double> extra() {
        return extra;
    }

    /** Collects the parts of a {@link TaskRecord}. */
    public static final class Builder {

        private final int task;
        private final int[] positions;
        private TaskEvaluation evaluation;
        private double trainImagesPerSecond = Double.NaN;
        private double seconds = Double.NaN;
        private double rssMb = Double.NaN;
        private final Map<String, Double> extra = new LinkedHashMap<>();

        private Builder(int task, int[] positions) {
            if (task < 0) {
                throw new IllegalArgumentException("task must be at least 0, got " + task);
            }
            if (positions.length == 0) {
                throw new IllegalArgumentException("task " + task + " introduces no class");
            }
            this.task = task;
            this.positions = positions.clone();
        }

        /** The evaluation after this task; leave it out for a task that was not evaluated. */
        public Builder evaluation(TaskEvaluation value) {
            if (value != null && value.task() != task) {
                throw new IllegalArgumentException("evaluation of task " + value.task() + " given for task "
                        + task);
            }
            this.evaluation = value;
            return this;
        }

        /** Training images per second. */
        public Builder trainImagesPerSecond(double value) {
            this.trainImagesPerSecond = value;
            return this;
        }

        /** Wall time of the task in seconds. */
        public Builder seconds(double value) {
            this.seconds = value;
            return this;
        }

        /** Resident memory in MiB, for example {@link ProcessMemory#residentMb()}. */
        public Builder rssMb(double value) {
            this.rssMb = value;
            return this;
        }

        /** One more number to keep, for example {@code extra("loss", 0.41)}; names must be unique. */
        public Builder extra(String name, double value) {
            if (extra.putIfAbsent(name, value) != null) {
                throw new IllegalArgumentException("extra \"" + name + "\" given twice");
            }
            return this;
        }

        /** Several numbers to keep. */
        public Builder extra(Map<String, ? extends Number> values) {
            values.forEach((name, value) -> extra(name, value.doubleValue()));
            return this;
        }

        public TaskRecord build() {
            return new TaskRecord(this);
        }
    }

    @Override
    public String toString() {
        return "TaskRecord[task " + task + ", positions " + Arrays.toString(positions) + ", evaluated "
                + (evaluation != null) + "]";
    }
}
