package org.care4j.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import javax.imageio.ImageIO;
import org.care4j.eval.AccuracyMatrix;
import org.care4j.eval.RunResults;
import org.care4j.eval.TaskRecord;
import org.care4j.runtime.CareException;

/**
 * One HTML page about one or more runs: a summary table (Ā, A_B, forgetting, wall time, parameters added), the
 * accuracy after each task of every run on one chart, each run's accuracy matrix as a heat map, and routing
 * diagnostics per block for runs that have them (CaRE).
 *
 * <p>{@link #writeTo} writes {@code report.html} and the figures as PNG files into one folder; the page also
 * carries every figure inline as a {@code data:} URI, so the HTML file alone can be mailed or archived.
 */
public final class Report {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    /** The page's file name inside the output folder. */
    public static final String PAGE = "report.html";

    /** A run on the page: its display name, the file it came from and what that file holds. */
    public record Run(String name, Path source, RunResults results) {}

    private final List<Run> runs;

    private Report(List<Run> runs) {
        this.runs = List.copyOf(runs);
    }

    /**
     * Reads the runs to report on.
     *
     * @param inputs run folders (holding {@code results.json}) or results files, in the order to show them
     * @throws CareException when none is given or one cannot be read
     */
    public static Report of(List<Path> inputs) {
        if (inputs.isEmpty()) {
            throw new CareException("report: no run given; name run folders or results.json files");
        }
        List<Run> runs = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (Path input : inputs) {
            if (!Files.exists(input)) {
                throw new CareException(input + ": no such file or folder");
            }
            RunResults results = RunResults.read(input);
            Path file = Files.isDirectory(input) ? input.resolve(RunResults.FILE_NAME) : input;
            String name = baseName(input);
            int count = seen.merge(name, 1, Integer::sum);
            runs.add(new Run(count == 1 ? name : name + " (" + count + ")", file, results));
        }
        return new Report(runs);
    }

    /** The runs, in the order given. */
    public List<Run> runs() {
        return runs;
    }

    /**
     * Draws the figures and writes them and the page into {@code folder} (created when needed).
     *
     * @return the path of {@code report.html}
     */
    public Path writeTo(Path folder) {
        try {
            Files.createDirectories(folder);
            Map<String, BufferedImage> figures = new LinkedHashMap<>();
            figures.put("accuracy.png", CurveChart.render(runs));
            double[] range = accuracyRange();
            for (int i = 0; i < runs.size(); i++) {
                RunResults r = runs.get(i).results();
                figures.put(figureName("matrix", i), new HeatMap(r, range[0], range[1]).render());
                if (RoutingChart.applies(r)) {
                    figures.put(figureName("routing", i), RoutingChart.render(r));
                }
            }
            Map<String, byte[]> encoded = new LinkedHashMap<>();
            for (Map.Entry<String, BufferedImage> figure : figures.entrySet()) {
                byte[] png = png(figure.getValue());
                Files.write(folder.resolve(figure.getKey()), png);
                encoded.put(figure.getKey(), png);
            }
            Path page = folder.resolve(PAGE);
            Files.writeString(page, html(figures, encoded), StandardCharsets.UTF_8);
            return page;
        } catch (IOException e) {
            throw new CareException(folder + ": cannot write the report: " + e.getMessage(), e);
        }
    }

    /** The colour range of the heat maps, shared by all runs: from the lowest value (rounded down to 10) to 100. */
    double[] accuracyRange() {
        double lowest = 100;
        for (Run run : runs) {
            AccuracyMatrix m = run.results().accuracyMatrix();
            for (int t : m.evaluatedTasks()) {
                for (int g = 0; g <= t; g++) {
                    double a = m.groupAccuracy(t, g);
                    if (!Double.isNaN(a)) {
                        lowest = Math.min(lowest, a);
                    }
                }
            }
        }
        double lo = Math.max(0, Math.floor(lowest / 10) * 10);
        return new double[] {Math.min(lo, 90), 100};
    }

    static String figureName(String kind, int runIndex) {
        return kind + "-" + (runIndex + 1) + ".png";
    }

    private String html(Map<String, BufferedImage> figures, Map<String, byte[]> png) {
        StringBuilder h = new StringBuilder(4096);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>care4j report: ").append(escape(String.join(", ", names()))).append("</title>\n")
                .append("<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n");
        h.append("<h1>care4j report</h1>\n<p class=\"meta\">").append(runs.size())
                .append(runs.size() == 1 ? " run" : " runs").append(", written ")
                .append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append(". Tasks and blocks are counted from")
                .append(" 1 here; results.json counts from 0.</p>\n");

        h.append("<h2>Summary</h2>\n");
        summaryTable(h);
        h.append("<p class=\"note\">Ā: mean of the accuracy after each evaluated task. A<sub>B</sub>: accuracy ")
                .append("after the last evaluated task. Forgetting: mean over all task groups but the last of ")
                .append("(best earlier accuracy &minus; final accuracy); empty with a single evaluation. ")
                .append("Accuracies are top-1 in % over all classes seen.</p>\n");

        h.append("<h2>Accuracy after each task</h2>\n");
        figure(h, "accuracy.png", figures, png, "Top-1 accuracy over all classes seen, after each evaluated task",
                false);

        h.append("<h2>Accuracy matrix</h2>\n<p class=\"note\">Row t: after learning task t (evaluated tasks ")
                .append("only). Column g: test images of the classes of task g. Grey: a group without test ")
                .append("images. The colour scale is shared by all runs.</p>\n");
        for (int i = 0; i < runs.size(); i++) {
            figure(h, figureName("matrix", i), figures, png, runs.get(i).name(), true);
        }

        boolean anyRouting = runs.stream().anyMatch(r -> RoutingChart.applies(r.results()));
        if (anyRouting) {
            h.append("<h2>Routing diagnostics</h2>\n<p class=\"note\">R@M: share of test images whose true ")
                    .append("task is among the routers picked for them. E@K: share whose true task's expert ")
                    .append("carries a weight (is among the top-K experts of a picked router). Per block ")
                    .append("after the last evaluation, and the mean over blocks after each evaluation.</p>\n");
            for (int i = 0; i < runs.size(); i++) {
                if (RoutingChart.applies(runs.get(i).results())) {
                    figure(h, figureName("routing", i), figures, png, runs.get(i).name(), false);
                }
            }
        }

        h.append("<h2>Runs</h2>\n");
        runsTable(h);
        h.append("</body>\n</html>\n");
        return h.toString();
    }

    private void summaryTable(StringBuilder h) {
        h.append("<div class=\"scroll\"><table class=\"summary\">\n")
                .append("<thead><tr><th>run</th><th>method</th><th>dataset</th>")
                .append("<th>tasks</th><th>Ā</th><th>A<sub>B</sub></th><th>forgetting</th><th>top-5 last</th>")
                .append("<th>wall time</th><th>peak memory</th><th>parameters added</th></tr></thead>\n<tbody>\n");
        for (int i = 0; i < runs.size(); i++) {
            Run run = runs.get(i);
            RunResults r = run.results();
            AccuracyMatrix m = r.accuracyMatrix();
            int tasks = r.tasks().size();
            String taskCell = m.size() == tasks ? Integer.toString(tasks)
                    : tasks + " (" + m.size() + " evaluated)";
            h.append("<tr><td class=\"name\"><span class=\"swatch\" style=\"background:")
                    .append(hex(Palette.run(i))).append("\"></span>").append(escape(run.name())).append("</td>")
                    .append("<td>").append(escape(r.method())).append("</td>")
                    .append("<td>").append(escape(r.dataset())).append("</td>")
                    .append("<td class=\"num\">").append(taskCell).append("</td>")
                    .append(numberCell(m.averageAccuracy()))
                    .append(numberCell(m.lastAccuracy()))
                    .append(numberCell(m.forgetting()))
                    .append(numberCell(lastTop5(r)))
                    .append("<td class=\"num\">").append(duration(r.wallSeconds())).append("</td>")
                    .append("<td class=\"num\">").append(memory(r.peakMemoryMb())).append("</td>")
                    .append("<td class=\"num\">").append(parameters(r.parametersAdded())).append("</td>")
                    .append("</tr>\n");
        }
        h.append("</tbody>\n</table></div>\n");
    }

    private void runsTable(StringBuilder h) {
        h.append("<div class=\"scroll\"><table class=\"runs\">\n")
                .append("<thead><tr><th>run</th><th>file</th><th>split</th><th>seed</th>")
                .append("<th>epochs</th><th>care4j</th><th>started</th></tr></thead>\n<tbody>\n");
        for (Run run : runs) {
            JsonNode c = run.results().config();
            h.append("<tr><td class=\"name\">").append(escape(run.name())).append("</td>")
                    .append("<td class=\"path\">").append(escape(run.source().toString())).append("</td>")
                    .append("<td>B").append(escape(c.path("init_cls").asText("?"))).append(" Inc")
                    .append(escape(c.path("increment").asText("?"))).append("</td>")
                    .append("<td>").append(escape(c.path("seed").toString())).append("</td>")
                    .append("<td class=\"num\">").append(escape(c.path("tuned_epoch").asText("—"))).append("</td>")
                    .append("<td>").append(escape(run.results().care4jVersion())).append("</td>")
                    .append("<td>").append(escape(run.results().started())).append("</td></tr>\n");
        }
        h.append("</tbody>\n</table></div>\n");
    }

    private static void figure(StringBuilder h, String name, Map<String, BufferedImage> figures,
            Map<String, byte[]> png, String caption, boolean pixelated) {
        BufferedImage image = figures.get(name);
        h.append("<figure><img").append(pixelated ? " class=\"pixels\"" : "")
                .append(" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png.get(name)))
                .append("\" width=\"").append(image.getWidth()).append("\" height=\"").append(image.getHeight())
                .append("\" alt=\"").append(escape(caption)).append("\">")
                .append("<figcaption>").append(escape(caption)).append(" <a href=\"").append(name).append("\">")
                .append(name).append("</a></figcaption></figure>\n");
    }

    private static double lastTop5(RunResults r) {
        List<TaskRecord> tasks = r.tasks();
        for (int i = tasks.size() - 1; i >= 0; i--) {
            if (tasks.get(i).evaluation().isPresent()) {
                return tasks.get(i).evaluation().get().top5();
            }
        }
        return Double.NaN;
    }

    private List<String> names() {
        return runs.stream().map(Run::name).toList();
    }

    private static String numberCell(double value) {
        return "<td class=\"num\">" + percent(value) + "</td>";
    }

    /** Two decimals, or a dash when not measured. */
    static String percent(double value) {
        return Double.isNaN(value) ? "—" : String.format(Locale.ROOT, "%.2f", value);
    }

    /** h:mm:ss, or a dash. */
    static String duration(double seconds) {
        if (Double.isNaN(seconds)) {
            return "—";
        }
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    /** MiB below a GiB, GiB with one decimal above; a dash when not measured. */
    static String memory(double megabytes) {
        if (Double.isNaN(megabytes)) {
            return "—";
        }
        return megabytes < 1024 ? String.format(Locale.ROOT, "%.0f MiB", megabytes)
                : String.format(Locale.ROOT, "%.1f GiB", megabytes / 1024);
    }

    /** With thousands separators, or a dash when the results file does not say. */
    static String parameters(OptionalLong count) {
        return count.isPresent() ? String.format(Locale.ROOT, "%,d", count.getAsLong()) : "—";
    }

    private static String hex(java.awt.Color c) {
        return String.format(Locale.ROOT, "#%06x", c.getRGB() & 0xffffff);
    }

    static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static String baseName(Path input) {
        Path absolute = input.toAbsolutePath().normalize();
        if (Files.isDirectory(absolute) || absolute.getParent() == null) {
            return absolute.getFileName() == null ? absolute.toString() : absolute.getFileName().toString();
        }
        String file = absolute.getFileName().toString();
        if (file.equals(RunResults.FILE_NAME) && absolute.getParent().getFileName() != null) {
            return absolute.getParent().getFileName().toString();
        }
        return file.endsWith(".json") ? file.substring(0, file.length() - 5) : file;
    }

    private static byte[] png(BufferedImage image) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, "png", out)) {
                throw new IllegalStateException("no PNG writer in this Java runtime");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static final String STYLE = """
            body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #222;
                   max-width: 1120px; margin: 24px auto; padding: 0 16px; line-height: 1.45; }
            h1 { font-size: 1.6em; margin-bottom: 0.2em; }
            h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
            .meta, .note, figcaption { color: #555; font-size: 0.9em; }
            table { border-collapse: collapse; font-size: 0.9em; margin: 0.6em 0; }
            .scroll { overflow-x: auto; }
            th, td { border-bottom: 1px solid #e4e4e4; padding: 5px 8px; text-align: left; vertical-align: top; }
            th { vertical-align: bottom; }
            td.name { white-space: nowrap; }
            th { background: #f6f6f6; font-weight: 600; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            table.summary th:nth-child(n+4) { text-align: right; }
            table.runs td { white-space: nowrap; }
            table.runs td.path { white-space: normal; }
            td.path { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85em;
                      word-break: break-all; }
            .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 7px; border-radius: 2px;
                      vertical-align: -1px; }
            figure { margin: 1em 0 1.6em; }
            img { max-width: 100%; height: auto; display: block; }
            img.pixels { image-rendering: pixelated; }
            """;
}
