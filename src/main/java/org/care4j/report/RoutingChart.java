package org.care4j.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.care4j.eval.BlockRouting;
import org.care4j.eval.RunResults;
import org.care4j.eval.TaskEvaluation;

/**
 * Routing diagnostics of one CaRE run. Left: R@M (share of test images whose true task is among the picked
 * routers) and E@K (share whose true task's expert carries a weight) for every block, after the last evaluated
 * task. Right: the mean over blocks of both after each evaluated task, to show how routing holds up as tasks
 * accumulate. Blocks and tasks are counted from 1.
 */
final class RoutingChart {

    static final int WIDTH = 1000;
    static final int HEIGHT = 400;
    private static final int MAX_MARKERS = 40;

    private RoutingChart() {}

    /** Whether the run has routing diagnostics to draw. */
    static boolean applies(RunResults results) {
        return results.lastRoutedEvaluation() != null;
    }

    static BufferedImage render(RunResults results) {
        Plot p = new Plot(WIDTH, HEIGHT);
        TaskEvaluation last = results.lastRoutedEvaluation();
        drawLegend(p, 80, 18);
        drawBlocks(p, last);
        drawOverTasks(p, results);
        return p.finish();
    }

    private static void drawLegend(Plot p, int x, int y) {
        p.g.setFont(Plot.TICK);
        String[] names = {"R@M: true task among the picked routers", "E@K: true task's expert weighted"};
        Color[] colours = {Palette.ROUTERS, Palette.EXPERTS};
        int at = x;
        for (int i = 0; i < names.length; i++) {
            p.g.setColor(colours[i]);
            p.g.fillRect(at, y - 6, 14, 12);
            p.g.setColor(Palette.TEXT);
            p.text(names[i], at + 20, y, Plot.Align.LEFT, true);
            at += 20 + p.g.getFontMetrics().stringWidth(names[i]) + 30;
        }
    }

    private static void drawBlocks(Plot p, TaskEvaluation last) {
        List<BlockRouting> blocks = last.routing();
        int count = blocks.size();
        Plot.Frame f = new Plot.Frame(80, 50, 390, HEIGHT - 50 - 64, 0.5, count + 0.5, 0, 100);
        double[] ticks = Plot.ticks(1, count, 12, 1);
        String[] labels = new String[ticks.length];
        for (int i = 0; i < ticks.length; i++) {
            labels[i] = Plot.number(ticks[i]);
        }
        p.axes(f, ticks, labels, Plot.ticks(0, 100, 5, 1), "block, after task " + (last.task() + 1), "share (%)");
        double slot = (double) f.width() / count;
        int bar = Math.max(1, (int) Math.floor(slot * 0.38));
        p.smooth(false);
        for (BlockRouting b : blocks) {
            int centre = f.x(b.block() + 1);
            drawBar(p, f, centre - bar, bar, b.routerRecall(), Palette.ROUTERS);
            drawBar(p, f, centre, bar, b.expertRecall(), Palette.EXPERTS);
        }
        p.smooth(true);
    }

    private static void drawBar(Plot p, Plot.Frame f, int x, int width, double value, Color colour) {
        if (Double.isNaN(value)) {
            return;
        }
        int top = f.y(value);
        p.g.setColor(colour);
        p.g.fillRect(x, top, width, f.bottom() - top);
    }

    private static void drawOverTasks(Plot p, RunResults results) {
        List<double[]> points = new ArrayList<>();
        for (var record : results.tasks()) {
            TaskEvaluation e = record.evaluation().orElse(null);
            if (e != null && !e.routing().isEmpty()) {
                double r = e.routing().stream().mapToDouble(BlockRouting::routerRecall).average().orElseThrow();
                double x = e.routing().stream().mapToDouble(BlockRouting::expertRecall).average().orElseThrow();
                points.add(new double[] {e.task() + 1, r, x});
            }
        }
        int tasks = Math.max(1, results.tasks().size());
        Plot.Frame f = new Plot.Frame(590, 50, 385, HEIGHT - 50 - 64, 0.5, tasks + 0.5, 0, 100);
        double[] ticks = Plot.ticks(1, tasks, 8, 1);
        String[] labels = new String[ticks.length];
        for (int i = 0; i < ticks.length; i++) {
            labels[i] = Plot.number(ticks[i]);
        }
        p.axes(f, ticks, labels, Plot.ticks(0, 100, 5, 1), "tasks learned (mean over blocks)", "share (%)");
        drawSeries(p, f, points, 1, Palette.ROUTERS);
        drawSeries(p, f, points, 2, Palette.EXPERTS);
    }

    private static void drawSeries(Plot p, Plot.Frame f, List<double[]> points, int column, Color colour) {
        Path2D.Double line = new Path2D.Double();
        for (int i = 0; i < points.size(); i++) {
            double x = f.x(points.get(i)[0]);
            double y = f.y(points.get(i)[column]);
            if (i == 0) {
                line.moveTo(x, y);
            } else {
                line.lineTo(x, y);
            }
        }
        p.g.setColor(colour);
        p.g.setStroke(new BasicStroke(points.size() > 200 ? 1.5f : 2f, BasicStroke.CAP_ROUND,
                BasicStroke.JOIN_ROUND));
        p.g.draw(line);
        if (points.size() <= MAX_MARKERS) {
            for (double[] point : points) {
                p.g.fillOval(f.x(point[0]) - 4, f.y(point[column]) - 4, 8, 8);
            }
        }
    }
}
