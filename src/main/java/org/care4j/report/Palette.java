package org.care4j.report;

import java.awt.Color;

/**
 * Colours of the report: the viridis map for accuracies (perceptually even, readable in grey and by most
 * colour-blind readers) and a ten-colour categorical set for runs (Tableau 10).
 */
final class Palette {

    /** Viridis sampled at 0, 0.1, ..., 1 (matplotlib's table); values between are interpolated linearly. */
    private static final int[][] VIRIDIS = {
        {68, 1, 84}, {72, 36, 117}, {65, 68, 135}, {53, 95, 141}, {42, 120, 142}, {33, 145, 140},
        {34, 168, 132}, {68, 190, 112}, {122, 209, 81}, {189, 223, 38}, {253, 231, 37},
    };

    private static final Color[] RUNS = {
        new Color(0x4e79a7), new Color(0xf28e2b), new Color(0xe15759), new Color(0x76b7b2),
        new Color(0x59a14f), new Color(0xedc948), new Color(0xb07aa1), new Color(0xff9da7),
        new Color(0x9c755f), new Color(0xbab0ac),
    };

    /** Cells without a value: tasks that were not evaluated, groups without test images. */
    static final Color MISSING = new Color(0xdddddd);

    static final Color GRID = new Color(0xe8e8e8);
    static final Color AXIS = new Color(0x444444);
    static final Color TEXT = new Color(0x222222);

    /** R@M and E@K in the routing figure. */
    static final Color ROUTERS = RUNS[0];
    static final Color EXPERTS = RUNS[1];

    private Palette() {}

    /** Viridis at {@code fraction} in [0, 1] (clamped). */
    static Color viridis(double fraction) {
        double f = Math.max(0, Math.min(1, fraction)) * (VIRIDIS.length - 1);
        int low = Math.min((int) Math.floor(f), VIRIDIS.length - 2);
        double t = f - low;
        int[] a = VIRIDIS[low];
        int[] b = VIRIDIS[low + 1];
        return new Color(mix(a[0], b[0], t), mix(a[1], b[1], t), mix(a[2], b[2], t));
    }

    /** The colour of run {@code index}; cycles after ten. */
    static Color run(int index) {
        return RUNS[index % RUNS.length];
    }

    /** Black or white, whichever reads better on {@code background}. */
    static Color textOn(Color background) {
        double luma = 0.299 * background.getRed() + 0.587 * background.getGreen() + 0.114 * background.getBlue();
        return luma > 140 ? Color.BLACK : Color.WHITE;
    }

    private static int mix(int a, int b, double t) {
        return (int) Math.round(a + (b - a) * t);
    }
}
