package org.care4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.care4j.report.Report;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code care report RUN... --out DIR}: one HTML page with PNG figures about one or more runs. */
@Command(
        name = "report",
        mixinStandardHelpOptions = true,
        description = {
            "Turn one or more results.json into a self-contained HTML page with PNG figures: accuracy after "
                    + "each task, accuracy matrices, routing diagnostics and a summary table.",
            "Writes DIR/report.html (figures embedded) and the figures as PNG files beside it."
        })
public final class ReportCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "RUN", description = "A run folder (with results.json) or a results "
            + "file.")
    List<Path> runs;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for the page and its "
            + "figures; created when needed.")
    Path out;

    @Override
    public Integer call() {
        Path page = Report.of(runs).writeTo(out);
        System.out.println(page);
        return 0;
    }
}
