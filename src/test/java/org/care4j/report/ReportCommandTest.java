package org.care4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.care4j.cli.Care;
import org.care4j.eval.RunResults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code care report} run in-process through the command line. */
class ReportCommandTest {

    /** Exit code and what the command printed. */
    private record Outcome(int code, String out, String err) {}

    private static Outcome care(String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Care.execute(args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    @Test
    void writesThePageForARunFolderAndAResultsFile(@TempDir Path dir) throws Exception {
        ReportTest.tenTaskCare().write(dir.resolve("a/results.json"));
        ReportTest.tenTaskSimplecil().write(dir.resolve("b/results.json"));
        Path out = dir.resolve("page");

        Outcome o = care("report", dir.resolve("a").toString(), dir.resolve("b/results.json").toString(), "--out",
                out.toString());

        assertEquals(0, o.code(), o.err());
        assertEquals(out.resolve("report.html").toString(), o.out().strip());
        assertTrue(Files.readString(out.resolve("report.html")).contains("<td class=\"num\">85.50</td>"));
    }

    @Test
    void aMissingRunIsOneLineAndExitCodeTwo(@TempDir Path dir) {
        Path missing = dir.resolve("nothing-here");
        Outcome o = care("report", missing.toString(), "--out", dir.resolve("page").toString());
        assertEquals(2, o.code());
        assertEquals("care: " + missing + ": no such file or folder", o.err().strip());
        assertTrue(Files.notExists(dir.resolve("page")));
    }

    @Test
    void aBrokenResultsFileNamesTheKey(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("results.json");
        Files.writeString(file, "{\"method\": \"care\", \"config\": {}, \"class_order\": [0]}");
        Outcome o = care("report", file.toString(), "--out", dir.resolve("page").toString());
        assertEquals(2, o.code());
        assertEquals("care: " + file + ": key \"tasks\" is missing", o.err().strip());
    }

    @Test
    void outIsRequired(@TempDir Path dir) {
        Outcome o = care("report", dir.toString());
        assertEquals(2, o.code());
        assertTrue(o.err().contains("Missing required option: '--out=DIR'"), o.err());
    }

    @Test
    void resultsFileOfTheRunFolderIsFound(@TempDir Path dir) {
        RunResults r = ReportTest.tenTaskCare();
        r.write(dir.resolve("run/" + RunResults.FILE_NAME));
        assertEquals(0, care("report", dir.resolve("run").toString(), "--out", dir.resolve("p").toString()).code());
    }
}
