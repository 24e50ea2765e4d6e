package org.care4j.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.care4j.data.DataFetch;
import org.care4j.data.Downloader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code care data}: dataset commands. */
@Command(
        name = "data",
        mixinStandardHelpOptions = true,
        description = "Datasets: fetch them into a data root.",
        subcommands = {DataCommand.Fetch.class})
public final class DataCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(System.out);
        return 0;
    }

    /** {@code care data fetch cifar100|omniglot --to DIR [--from URL-or-file]...}. */
    @Command(
            name = "fetch",
            mixinStandardHelpOptions = true,
            description = {
                "Downloads a dataset's archives (official location and published MD5 by default),"
                    + " resuming an interrupted download, and extracts them safely.",
                "cifar100 goes to DIR (cifar-100-binary/ or, with --format python,"
                    + " cifar-100-python/); omniglot goes to DIR/omniglot (images_background/,"
                    + " images_evaluation/)."
            })
    static final class Fetch implements Callable<Integer> {

        @Parameters(index = "0", paramLabel = "DATASET", description = "cifar100 or omniglot")
        String dataset;

        @Option(names = "--to", required = true, paramLabel = "DIR", description = "The data root.")
        Path to;

        @Option(
                names = "--from",
                paramLabel = "URL-or-file",
                description = {
                    "Another source: one per archive (omniglot: background, then evaluation), or"
                        + " one folder or URL ending in / holding the archives under their official"
                        + " names. Not checksummed unless --md5 is given."
                })
        List<String> from;

        @Option(
                names = "--format",
                defaultValue = "binary",
                paramLabel = "binary|python",
                description = "CIFAR-100 layout (default: ${DEFAULT-VALUE}).")
        String format;

        @Option(
                names = "--md5",
                paramLabel = "HEX",
                description = "Expected MD5 of a single --from archive.")
        String md5;

        @Option(
                names = "--no-extract",
                description = "Keep the archives only (the readers accept them too).")
        boolean noExtract;

        @Override
        public Integer call() {
            PrintStream out = System.out;
            Downloader downloader =
                    new Downloader(
                            3,
                            30_000,
                            60_000,
                            System.console() == null ? null : new TerminalProgress());
            List<DataFetch.Result> results =
                    new DataFetch(downloader).fetch(dataset, format, to, from, md5, !noExtract);
            for (DataFetch.Result r : results) {
                out.println(
                        r.archive()
                                + ": "
                                + (r.downloaded() ? "fetched" : "already in place")
                                + ", "
                                + (r.verified()
                                        ? "MD5 verified"
                                        : "not verified (no checksum for this source)"));
                for (Path p : r.extracted()) {
                    out.println("  extracted " + p);
                }
            }
            return 0;
        }
    }

    /** Download progress on one terminal line, at most every whole percent. */
    private static final class TerminalProgress implements Downloader.Progress {
        private long shown = -1;

        @Override
        public void update(long bytes, long total) {
            long step = total > 0 ? bytes * 100 / total : bytes >> 24;
            if (step != shown) {
                shown = step;
                System.err.print(
                        total > 0
                                ? "\r  " + step + "% of " + (total >> 20) + " MiB"
                                : "\r  " + (bytes >> 20) + " MiB");
                if (total > 0 && bytes >= total) {
                    System.err.println();
                }
            }
        }
    }
}
