package org.care4j.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A white RGB canvas with the drawing steps the report's figures share: linear axes with "nice" ticks
 * (1, 2 or 5 times a power of ten, at most a given count, so 10 tasks get every label and 500 get one per 50),
 * grid lines, and aligned or rotated text.
 */
final class Plot {

    static {
        // Figures are drawn off screen, on servers without a display.
        System.setProperty("java.awt.headless", "true");
    }

    static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 14);
    static final Font TICK = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
    static final Font CELL = new Font(Font.SANS_SERIF, Font.PLAIN, 11);

    /** Horizontal anchor of a text. */
    enum Align { LEFT, CENTER, RIGHT }

    /**
     * A rectangle of the canvas with linear scales: x in [xLo, xHi] maps to [left, left + width], y in [yLo, yHi]
     * to [top + height, top] (upwards).
     */
    record Frame(int left, int top, int width, int height, double xLo, double xHi, double yLo, double yHi) {

        int x(double value) {
            return left + (int) Math.round((value - xLo) / (xHi - xLo) * width);
        }

        int y(double value) {
            return top + height - (int) Math.round((value - yLo) / (yHi - yLo) * height);
        }

        int right() {
            return left + width;
        }

        int bottom() {
            return top + height;
        }
    }

    final BufferedImage image;
    final Graphics2D g;

    Plot(int width, int height) {
        image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        smooth(true);
    }

    /** Antialiased lines (curves) or exact pixels (heat-map cells, whose colours must be exact). */
    void smooth(boolean on) {
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, on ? RenderingHints.VALUE_ANTIALIAS_ON
                : RenderingHints.VALUE_ANTIALIAS_OFF);
    }

    BufferedImage finish() {
        g.dispose();
        return image;
    }

    /**
     * At most {@code maxTicks} round values in [lo, hi]: multiples of 1, 2 or 5 times a power of ten, no finer
     * than {@code minStep} (1 for task numbers).
     */
    static double[] ticks(double lo, double hi, int maxTicks, double minStep) {
        if (!(hi > lo)) {
            return new double[] {lo};
        }
        double range = hi - lo;
        double magnitude = Math.pow(10, Math.floor(Math.log10(range / maxTicks)));
        double step = 10 * magnitude;
        for (double m : new double[] {1, 2, 5, 10}) {
            if (range / (m * magnitude) <= maxTicks) {
                step = m * magnitude;
                break;
            }
        }
        step = Math.max(step, minStep);
        List<Double> values = new ArrayList<>();
        for (double v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
            values.add(Math.abs(v) < step * 1e-9 ? 0 : v);
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** A tick value without a needless ".0". */
    static String number(double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return String.format(Locale.ROOT, "%.2f", value).replaceAll("0+$", "");
    }

    /** Grid, axis lines, tick labels and axis titles of a frame. */
    void axes(Frame f, double[] xTicks, String[] xLabels, double[] yTicks, String xTitle, String yTitle) {
        g.setStroke(new BasicStroke(1f));
        g.setFont(TICK);
        for (double y : yTicks) {
            g.setColor(Palette.GRID);
            g.drawLine(f.left(), f.y(y), f.right(), f.y(y));
            g.setColor(Palette.TEXT);
            text(number(y), f.left() - 6, f.y(y), Align.RIGHT, true);
        }
        for (int i = 0; i < xTicks.length; i++) {
            int x = f.x(xTicks[i]);
            g.setColor(Palette.AXIS);
            g.drawLine(x, f.bottom(), x, f.bottom() + 4);
            g.setColor(Palette.TEXT);
            text(xLabels[i], x, f.bottom() + 6 + g.getFontMetrics().getAscent(), Align.CENTER, false);
        }
        g.setColor(Palette.AXIS);
        g.drawLine(f.left(), f.bottom(), f.right(), f.bottom());
        g.drawLine(f.left(), f.top(), f.left(), f.bottom());
        g.setFont(LABEL);
        g.setColor(Palette.TEXT);
        text(xTitle, f.left() + f.width() / 2, f.bottom() + 40, Align.CENTER, false);
        verticalText(yTitle, f.left() - 44, f.top() + f.height() / 2);
    }

    /**
     * Draws {@code s} with its baseline at {@code y}, or centred on {@code y} when {@code middle}.
     */
    void text(String s, int x, int y, Align align, boolean middle) {
        FontMetrics m = g.getFontMetrics();
        int width = m.stringWidth(s);
        int left = switch (align) {
            case LEFT -> x;
            case CENTER -> x - width / 2;
            case RIGHT -> x - width;
        };
        int baseline = middle ? y + (m.getAscent() - m.getDescent()) / 2 : y;
        g.drawString(s, left, baseline);
    }

    /** Text rotated a quarter turn anticlockwise, centred on (x, y), for y-axis titles. */
    void verticalText(String s, int x, int y) {
        AffineTransform saved = g.getTransform();
        g.translate(x, y);
        g.rotate(-Math.PI / 2);
        text(s, 0, 0, Align.CENTER, true);
        g.setTransform(saved);
    }

    /** {@code s} shortened with an ellipsis to fit {@code maxWidth} pixels in the current font. */
    String fit(String s, int maxWidth) {
        FontMetrics m = g.getFontMetrics();
        if (m.stringWidth(s) <= maxWidth) {
            return s;
        }
        String cut = s;
        while (!cut.isEmpty() && m.stringWidth(cut + "…") > maxWidth) {
            cut = cut.substring(0, cut.length() - 1);
        }
        return cut + "…";
    }
}
