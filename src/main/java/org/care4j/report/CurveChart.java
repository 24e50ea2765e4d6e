package org.care4j.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.List;
import org.care4j.eval.AccuracyMatrix;

/**
 * Accuracy after each task, one line per run, on one chart. x = tasks learned (counted from 1), y = top-1
 * accuracy in % over all classes seen. Only evaluated tasks are points; lines join them. Runs of up to 40
 * points get markers; longer ones are plain lines so 500 tasks stay readable. With more than one run a legend
 * on the right names each (the summary table beside the figure has the numbers).
 */
final class CurveChart {

    static final int WIDTH = 1000;
    static final int HEIGHT = 440;
    private static final int LEGEND_WIDTH = 240;
    private static final int MAX_MARKERS = 40;

    private CurveChart() {}

    static BufferedImage render(List<Report.Run> runs) {
        int tasks = Math.max(1, runs.stream().mapToInt(r -> r.results().tasks().size()).max().orElse(1));
        double lowest = 100;
        for (Report.Run run : runs) {
            for (double a : run.results().accuracyMatrix().curve()) {
                lowest = Math.min(lowest, a);
            }
        }
        double yLo = Math.max(0, Math.floor((lowest - 2) / 10) * 10);
        boolean legend = runs.size() > 1;
        int width = WIDTH - 80 - 24 - (legend ? LEGEND_WIDTH : 0);
        Plot.Frame f = new Plot.Frame(80, 20, width, HEIGHT - 20 - 64, 0.5, tasks + 0.5, yLo, 100);

        Plot p = new Plot(WIDTH, HEIGHT);
        double[] xTicks = Plot.ticks(1, tasks, 10, 1);
        String[] xLabels = new String[xTicks.length];
        for (int i = 0; i < xTicks.length; i++) {
            xLabels[i] = Plot.number(xTicks[i]);
        }
        p.axes(f, xTicks, xLabels, Plot.ticks(yLo, 100, 8, 1), "tasks learned", "top-1 accuracy (%)");

        for (int r = 0; r < runs.size(); r++) {
            AccuracyMatrix m = runs.get(r).results().accuracyMatrix();
            drawRun(p, f, m, Palette.run(r));
        }
        if (legend) {
            drawLegend(p, runs, f.right() + 24, f.top() + 6);
        }
        return p.finish();
    }

    private static void drawRun(Plot p, Plot.Frame f, AccuracyMatrix m, Color colour) {
        int[] tasks = m.evaluatedTasks();
        double[] curve = m.curve();
        if (tasks.length == 0) {
            return;
        }
        Path2D.Double line = new Path2D.Double();
        for (int i = 0; i < tasks.length; i++) {
            double x = f.x(tasks[i] + 1);
            double y = f.y(curve[i]);
            if (i == 0) {
                line.moveTo(x, y);
            } else {
                line.lineTo(x, y);
            }
        }
        p.g.setColor(colour);
        p.g.setStroke(new BasicStroke(tasks.length > 200 ? 1.5f : 2f, BasicStroke.CAP_ROUND,
                BasicStroke.JOIN_ROUND));
        p.g.draw(line);
        if (tasks.length <= MAX_MARKERS) {
            for (int i = 0; i < tasks.length; i++) {
                p.g.fillOval(f.x(tasks[i] + 1) - 4, f.y(curve[i]) - 4, 8, 8);
            }
        }
    }

    private static void drawLegend(Plot p, List<Report.Run> runs, int x, int y) {
        p.g.setFont(Plot.TICK);
        int rowHeight = 20;
        int shown = Math.min(runs.size(), (HEIGHT - y - 20) / rowHeight);
        for (int r = 0; r < shown; r++) {
            int rowY = y + r * rowHeight;
            p.g.setColor(Palette.run(r));
            p.g.setStroke(new BasicStroke(3f));
            p.g.drawLine(x, rowY, x + 22, rowY);
            p.g.setColor(Palette.TEXT);
            p.text(p.fit(runs.get(r).name(), LEGEND_WIDTH - 40), x + 30, rowY, Plot.Align.LEFT, true);
        }
        if (shown < runs.size()) {
            p.text("… and " + (runs.size() - shown) + " more", x + 30, y + shown * rowHeight, Plot.Align.LEFT,
                    true);
        }
    }
}
