package org.care4j.cli;

import java.util.concurrent.Callable;
import org.care4j.runtime.CareException;
import org.care4j.runtime.DjlRuntime;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Entry point of the {@code care} command. Configures DJL offline before any engine class loads, then
 * dispatches to a subcommand. User mistakes ({@link CareException}) print one line and exit 2; unexpected
 * failures print one line too, and the stack trace with {@code --verbose}.
 */
@Command(
        name = "care",
        mixinStandardHelpOptions = true,
        version = "care4j 0.1.0",
        description = "CaRE continual learning on a frozen Vision Transformer.",
        subcommands = {CommandLine.HelpCommand.class, RunCommand.class, BenchCommand.class, DataCommand.class,
            ReportCommand.class, LearnCommand.class, PredictCommand.class, InspectCommand.class})
public final class Care implements Callable<Integer> {

    @Option(names = "--verbose", description = "Show stack traces and debug logging.", scope =
            CommandLine.ScopeType.INHERIT)
    boolean verbose;

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 0;
    }

    public static void main(String[] args) {
        DjlRuntime.configure();
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code; used by {@link #main} and by tests. */
    public static int execute(String... args) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        if (verbose) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug");
        }
        CommandLine cli = new CommandLine(new Care());
        cli.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (verbose) {
                ex.printStackTrace(System.err);
            }
            if (ex instanceof CareException) {
                System.err.println("care: " + ex.getMessage());
                return 2;
            }
            System.err.println("care: internal error: " + ex
                    + (verbose ? "" : " (run with --verbose for the stack trace)"));
            return 1;
        });
        return cli.execute(args);
    }
}
