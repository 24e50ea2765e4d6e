package org.care4j.runtime;

import java.io.PrintStream;

/**
 * A one-line progress counter for long steps, redrawn in place on an interactive terminal and silent
 * elsewhere (CI, tests, redirected output), where the per-epoch log lines carry the information.
 */
public final class Progress implements AutoCloseable {

    private static final boolean INTERACTIVE = System.console() != null && System.getenv("CI") == null
            && !Boolean.getBoolean("care.quiet");

    private final String label;
    private final long total;
    private final PrintStream out;
    private final long started = System.nanoTime();
    private long done;
    private long lastDraw;

    private Progress(String label, long total, PrintStream out) {
        this.label = label;
        this.total = total;
        this.out = out;
    }

    /** Starts a counter of {@code total} units (0 when unknown). */
    public static Progress start(String label, long total) {
        return new Progress(label, total, INTERACTIVE ? System.err : null);
    }

    /** Adds {@code units} finished units. */
    public void advance(long units) {
        done += units;
        if (out == null) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastDraw > 200_000_000L || done == total) {
            lastDraw = now;
            double seconds = (now - started) / 1e9;
            String of = total > 0 ? String.format("%d/%d (%.0f%%)", done, total, 100.0 * done / total)
                    : Long.toString(done);
            out.printf("\r%s %s %.1f/s   ", label, of, done / Math.max(seconds, 1e-9));
            out.flush();
        }
    }

    /** Seconds since the counter started. */
    public double seconds() {
        return (System.nanoTime() - started) / 1e9;
    }

    @Override
    public void close() {
        if (out != null) {
            out.print("\r" + " ".repeat(Math.min(120, label.length() + 40)) + "\r");
            out.flush();
        }
    }
}
