package org.care4j.learn;

import java.util.List;

/**
 * Scores of a batch over all seen classes, and for routed methods the picks of every block.
 *
 * @param scores row-major {@code [B, classes]}, higher is better
 * @param classes seen classes
 * @param routers per block, per sample, picked router tasks (empty for methods without routing)
 * @param experts per block, per sample, experts that received weight (empty likewise)
 */
public record Prediction(float[] scores, int classes, List<int[][]> routers, List<int[][]> experts) {

    public int size() {
        return scores.length / classes;
    }

    /** The {@code k} best classes of sample {@code i}, best first (ties: lower class first). */
    public int[] top(int i, int k) {
        int n = Math.min(k, classes);
        int[] best = new int[n];
        boolean[] taken = new boolean[classes];
        for (int j = 0; j < n; j++) {
            int arg = -1;
            for (int c = 0; c < classes; c++) {
                if (!taken[c] && (arg < 0 || scores[i * classes + c] > scores[i * classes + arg])) {
                    arg = c;
                }
            }
            taken[arg] = true;
            best[j] = arg;
        }
        return best;
    }
}
