package org.care4j.report;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import org.care4j.config.RunConfig;
import org.care4j.eval.BlockRouting;
import org.care4j.eval.RunResults;
import org.care4j.eval.TaskEvaluation;
import org.care4j.eval.TaskRecord;

/**
 * Results files with accuracies given by a formula, one class per task and equal test images per group, so that
 * the summary numbers can be worked out by hand.
 */
final class SyntheticRuns {

    private SyntheticRuns() {}

    /**
     * A run of {@code tasks} tasks evaluated after every {@code evalEvery}-th and the last.
     *
     * @param groupAccuracy accuracy of group g after task t, as f(t, g)
     * @param blocks routing blocks per evaluation, 0 for a method without routing
     */
    static RunResults run(String method, int tasks, int evalEvery, DoubleBinaryOperator groupAccuracy,
            int blocks) {
        RunConfig config = RunConfig.parse("{\"dataset\": \"synthetic\", \"init_cls\": 1, \"increment\": 1, "
                + "\"seed\": [1993], \"tuned_epoch\": 20, \"init_lr\": 0.01, \"batch_size\": 16, "
                + "\"crct_epochs\": 3, \"ca_lr\": 0.005, \"ca_storage_efficient_method\": \"covariance\", "
                + "\"decay\": true, \"method\": \"" + method + "\", \"eval_every\": " + evalEvery + "}",
                "synthetic.json", Path.of("/"));
        int[] order = new int[tasks];
        for (int i = 0; i < tasks; i++) {
            order[i] = tasks - 1 - i;
        }
        RunResults results = new RunResults(config, order);
        for (int t = 0; t < tasks; t++) {
            TaskRecord.Builder record = TaskRecord.builder(t, new int[] {t}).seconds(2).rssMb(500 + t);
            if (config.evaluatesAfter(t, tasks)) {
                double[] groups = new double[t + 1];
                int[] counts = new int[t + 1];
                double sum = 0;
                for (int g = 0; g <= t; g++) {
                    groups[g] = groupAccuracy.applyAsDouble(t, g);
                    counts[g] = 50;
                    sum += groups[g];
                }
                List<BlockRouting> routing = new ArrayList<>();
                for (int b = 0; b < blocks; b++) {
                    routing.add(new BlockRouting(b, 60 + 3 * b - 10.0 * t / tasks, 80 + b - 5.0 * t / tasks));
                }
                record.evaluation(new TaskEvaluation(t, 50 * (t + 1), sum / (t + 1), Math.min(100, sum / (t + 1)
                        + 8), groups, counts, routing, 1.0));
            }
            results.addTask(record.build());
        }
        return results;
    }
}
