package org.care4j.report;

import java.awt.Color;
import java.awt.Point;
import java.awt.image.BufferedImage;
import java.util.Locale;
import org.care4j.eval.AccuracyMatrix;
import org.care4j.eval.RunResults;

/**
 * The accuracy matrix of one run as a heat map: one row per evaluated task t (after learning it), column g = the
 * classes of task g (both counted from 1 on the axes), colour = top-1 accuracy on that group by the viridis map
 * over a range shared by every map of the page. Groups without test images are grey; right of each row's own
 * task nothing is drawn.
 *
 * <p>Columns are {@code max(1, min(48, 640 / tasks))} pixels wide, so 10 tasks give 48-pixel cells with the value
 * printed in each and 500 give one pixel per group with no text. Rows share the same total height, so with
 * {@code eval_every > 1} fewer, taller rows fill it (500 tasks evaluated every 10th: 50 rows of 10 pixels) rather
 * than leaving stripes of unevaluated tasks. A colour bar on the right is the legend.
 */
final class HeatMap {

    private static final int LEFT = 80;
    private static final int TOP = 20;
    private static final int BOTTOM = 64;
    private static final int BAR_GAP = 24;
    private static final int BAR_WIDTH = 16;
    private static final int RIGHT = 70;
    private static final int MIN_BAR_HEIGHT = 200;
    private static final int MIN_CELL_FOR_TEXT = 30;

    private final AccuracyMatrix matrix;
    private final int[] rows;
    private final int tasks;
    private final int cell;
    private final int rowHeight;
    private final double lo;
    private final double hi;

    /**
     * @param lo accuracy drawn with the darkest colour
     * @param hi accuracy drawn with the brightest colour
     */
    HeatMap(RunResults results, double lo, double hi) {
        this.matrix = results.accuracyMatrix();
        this.rows = matrix.evaluatedTasks();
        this.tasks = Math.max(1, results.tasks().size());
        this.cell = Math.max(1, Math.min(48, 640 / tasks));
        this.rowHeight = Math.max(1, Math.min(48, side() / Math.max(1, rows.length)));
        this.lo = lo;
        this.hi = hi;
    }

    /** Width of the matrix in pixels. */
    int side() {
        return tasks * cell;
    }

    /** Height of the matrix in pixels. */
    int matrixHeight() {
        return Math.max(1, rows.length) * rowHeight;
    }

    int cell() {
        return cell;
    }

    int rowHeight() {
        return rowHeight;
    }

    int width() {
        return LEFT + side() + BAR_GAP + BAR_WIDTH + RIGHT;
    }

    int height() {
        return TOP + Math.max(matrixHeight(), MIN_BAR_HEIGHT) + BOTTOM;
    }

    /**
     * Pixel at the centre of the cell of group {@code group} after task {@code task} (0-based).
     *
     * @throws IllegalArgumentException when the task was not evaluated, so has no row
     */
    Point cellCentre(int task, int group) {
        int row = java.util.Arrays.binarySearch(rows, task);
        if (row < 0) {
            throw new IllegalArgumentException("task " + task + " was not evaluated");
        }
        return new Point(LEFT + group * cell + cell / 2, TOP + row * rowHeight + rowHeight / 2);
    }

    /** The colour of an accuracy in %; grey for NaN. */
    Color colour(double accuracy) {
        if (Double.isNaN(accuracy)) {
            return Palette.MISSING;
        }
        return Palette.viridis((accuracy - lo) / (hi - lo));
    }

    BufferedImage render() {
        Plot p = new Plot(width(), height());
        p.smooth(false);
        for (int row = 0; row < rows.length; row++) {
            int t = rows[row];
            for (int g = 0; g <= t; g++) {
                p.g.setColor(colour(matrix.groupAccuracy(t, g)));
                p.g.fillRect(LEFT + g * cell, TOP + row * rowHeight, cell, rowHeight);
            }
        }
        if (cell >= MIN_CELL_FOR_TEXT && rowHeight >= MIN_CELL_FOR_TEXT / 2) {
            drawValues(p);
        }
        p.smooth(true);
        drawAxes(p);
        drawColourBar(p);
        return p.finish();
    }

    private void drawValues(Plot p) {
        p.g.setFont(Plot.CELL);
        for (int t : rows) {
            for (int g = 0; g <= t; g++) {
                double a = matrix.groupAccuracy(t, g);
                if (!Double.isNaN(a)) {
                    Point c = cellCentre(t, g);
                    p.g.setColor(Palette.textOn(colour(a)));
                    p.text(String.format(Locale.ROOT, "%.0f", a), c.x, c.y, Plot.Align.CENTER, true);
                }
            }
        }
    }

    private void drawAxes(Plot p) {
        int bottom = TOP + matrixHeight();
        p.g.setFont(Plot.TICK);
        p.g.setColor(Palette.AXIS);
        p.g.drawRect(LEFT - 1, TOP - 1, side() + 1, matrixHeight() + 1);
        for (double tick : Plot.ticks(1, tasks, 10, 1)) {
            int x = LEFT + ((int) tick - 1) * cell + cell / 2;
            p.g.setColor(Palette.AXIS);
            p.g.drawLine(x, bottom, x, bottom + 4);
            p.g.setColor(Palette.TEXT);
            p.text(Plot.number(tick), x, bottom + 6 + p.g.getFontMetrics().getAscent(), Plot.Align.CENTER, false);
        }
        // Row ticks step through the evaluated rows and are labelled with their task numbers.
        for (double tick : Plot.ticks(1, Math.max(1, rows.length), 10, 1)) {
            int row = (int) tick - 1;
            if (row >= rows.length) {
                continue;
            }
            int y = TOP + row * rowHeight + rowHeight / 2;
            p.g.setColor(Palette.AXIS);
            p.g.drawLine(LEFT - 5, y, LEFT - 1, y);
            p.g.setColor(Palette.TEXT);
            p.text(Integer.toString(rows[row] + 1), LEFT - 8, y, Plot.Align.RIGHT, true);
        }
        p.g.setFont(Plot.LABEL);
        p.text("task group (classes of task g)", LEFT + side() / 2, bottom + 44, Plot.Align.CENTER, false);
        p.verticalText(rows.length == tasks ? "after learning task t" : "after learning task t (evaluated)",
                LEFT - 50, TOP + matrixHeight() / 2);
    }

    private void drawColourBar(Plot p) {
        int x = LEFT + side() + BAR_GAP;
        int barHeight = Math.max(matrixHeight(), MIN_BAR_HEIGHT);
        p.smooth(false);
        for (int row = 0; row < barHeight; row++) {
            double value = hi - (hi - lo) * row / Math.max(1, barHeight - 1);
            p.g.setColor(colour(value));
            p.g.fillRect(x, TOP + row, BAR_WIDTH, 1);
        }
        p.smooth(true);
        p.g.setColor(Palette.AXIS);
        p.g.drawRect(x, TOP, BAR_WIDTH, barHeight);
        p.g.setFont(Plot.TICK);
        for (double tick : Plot.ticks(lo, hi, 6, 1)) {
            int y = TOP + (int) Math.round((hi - tick) / (hi - lo) * (barHeight - 1));
            p.g.setColor(Palette.AXIS);
            p.g.drawLine(x + BAR_WIDTH, y, x + BAR_WIDTH + 4, y);
            p.g.setColor(Palette.TEXT);
            p.text(Plot.number(tick) + "%", x + BAR_WIDTH + 7, y, Plot.Align.LEFT, true);
        }
    }
}
