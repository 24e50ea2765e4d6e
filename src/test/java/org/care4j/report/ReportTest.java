package org.care4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.Point;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.care4j.eval.RunResults;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders reports of synthetic runs and checks the page's numbers (worked out by hand below), the figures' sizes
 * and a few pixel colours.
 */
class ReportTest {

    /**
     * Ten tasks, all evaluated, group g after task t at 90 - 2 (t - g). Overall A_t = 90 - t, so Ā = 90 - 4.5 =
     * 85.5 and A_B = 81. Group g is best right after its task (90) and ends at 90 - 2 (9 - g): forgetting = mean
     * over g = 0..8 of 2 (9 - g) = 10.
     */
    static RunResults tenTaskCare() {
        RunResults r = SyntheticRuns.run("care", 10, 1, (t, g) -> 90 - 2 * (t - g), 12);
        r.setWallSeconds(3725);
        r.setParametersAdded(91_234_567);
        return r;
    }

    /** Ten tasks at a flat 75: Ā = A_B = 75, forgetting 0; no routing and no parameter count. */
    static RunResults tenTaskSimplecil() {
        return SyntheticRuns.run("simplecil", 10, 1, (t, g) -> 75, 0);
    }

    /**
     * 500 tasks, evaluated after tasks 9, 19, ..., 499, group g after task t at 90 - 0.02 (t - g), so
     * A_t = 90 - 0.01 t. Ā = 90 - 0.01 * mean(9, 19, ..., 499) = 90 - 2.54 = 87.46; A_B = 90 - 4.99 = 85.01.
     * Forgetting: groups 490..498 have no earlier evaluation and are skipped; group g in 10k..10k+9 is best at
     * task 10k+9 and loses 0.02 (499 - (10k+9)) = 0.02 (490 - 10k); the mean over k = 0..48 is 0.02 * 250 = 5.
     */
    static RunResults fiveHundredTasks() {
        RunResults r = SyntheticRuns.run("care", 500, 10, (t, g) -> 90 - 0.02 * (t - g), 12);
        r.setWallSeconds(200_000);
        return r;
    }

    private static Path save(RunResults r, Path dir, String name) {
        Path folder = dir.resolve(name);
        r.write(folder.resolve(RunResults.FILE_NAME));
        return folder;
    }

    @Test
    void tenTaskPageShowsTheHandComputedNumbers(@TempDir Path dir) throws Exception {
        Path care = save(tenTaskCare(), dir, "care-inr");
        Path simple = save(tenTaskSimplecil(), dir, "simplecil-inr");
        Path out = dir.resolve("report");
        Path page = Report.of(List.of(care, simple.resolve("results.json"))).writeTo(out);

        assertEquals(out.resolve("report.html"), page);
        String html = Files.readString(page);
        assertTrue(html.contains("care-inr</td><td>care</td><td>synthetic</td><td class=\"num\">10</td>"
                + "<td class=\"num\">85.50</td><td class=\"num\">81.00</td><td class=\"num\">10.00</td>"
                + "<td class=\"num\">89.00</td><td class=\"num\">1:02:05</td><td class=\"num\">509 MiB</td>"
                + "<td class=\"num\">91,234,567</td></tr>"), html);
        assertTrue(html.contains("simplecil-inr</td><td>simplecil</td><td>synthetic</td><td class=\"num\">10</td>"
                + "<td class=\"num\">75.00</td><td class=\"num\">75.00</td><td class=\"num\">0.00</td>"
                + "<td class=\"num\">83.00</td><td class=\"num\">0:00:20</td><td class=\"num\">509 MiB</td>"
                + "<td class=\"num\">—</td></tr>"), html);
        // Every figure is embedded and also written beside the page.
        for (String png : List.of("accuracy.png", "matrix-1.png", "matrix-2.png", "routing-1.png")) {
            assertTrue(Files.isRegularFile(out.resolve(png)), png);
            assertTrue(html.contains("<a href=\"" + png + "\">"), png);
        }
        assertFalse(Files.exists(out.resolve("routing-2.png")), "simplecil has no routing");
        assertEquals(4, html.split("src=\"data:image/png;base64,", -1).length - 1);
        assertFalse(html.contains("src=\"accuracy.png\""), "no figure depends on a file beside the page");
    }

    @Test
    void tenTaskFiguresHaveTheirSizesAndColours(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("report");
        Report.of(List.of(save(tenTaskCare(), dir, "care-inr"), save(tenTaskSimplecil(), dir, "simplecil")))
                .writeTo(out);

        BufferedImage curve = ImageIO.read(out.resolve("accuracy.png").toFile());
        assertEquals(1000, curve.getWidth());
        assertEquals(440, curve.getHeight());
        // The first run's marker after task 1 (90 %): plot from x = 80 over 656 px for tasks 0.5..10.5, and from
        // y = 376 up 356 px for 70..100 %: x = 80 + 0.5/10*656 = 113, y = 376 - 20/30*356 = 139.
        assertEquals(new Color(0x4e79a7), new Color(curve.getRGB(113, 139)));

        // 48-pixel cells: 80 + 480 + 24 + 16 + 70 = 670 wide, 20 + 480 + 64 = 564 high.
        BufferedImage matrix = ImageIO.read(out.resolve("matrix-1.png").toFile());
        assertEquals(670, matrix.getWidth());
        assertEquals(564, matrix.getHeight());
        // The shared colour scale runs from 70 (the lowest value, 72, rounded down) to 100.
        // After task 10, group 1: 72 % -> 2/30 of the way: viridis between (68,1,84) and (72,36,117) at 2/3.
        assertEquals(new Color(71, 24, 106), cornerOf(matrix, 9, 0, 48));
        // Diagonal, 90 % -> 20/30: between (34,168,132) and (68,190,112) at 2/3.
        assertEquals(new Color(57, 183, 119), cornerOf(matrix, 0, 0, 48));
        // Above the diagonal nothing is drawn.
        assertEquals(Color.WHITE, cornerOf(matrix, 0, 9, 48));
        // Flat 75 % of the second run: 5/30 of the way, between (72,36,117) and (65,68,135) at 2/3.
        BufferedImage flat = ImageIO.read(out.resolve("matrix-2.png").toFile());
        assertEquals(new Color(67, 57, 129), cornerOf(flat, 5, 3, 48));

        BufferedImage routing = ImageIO.read(out.resolve("routing-1.png").toFile());
        assertEquals(1000, routing.getWidth());
        assertEquals(400, routing.getHeight());
    }

    @Test
    void fiveHundredTasksDrawOnePixelPerCellWithoutText(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("report");
        Path page = Report.of(List.of(save(fiveHundredTasks(), dir, "ob1k-500"))).writeTo(out);

        String html = Files.readString(page);
        assertTrue(html.contains("ob1k-500</td><td>care</td><td>synthetic</td>"
                + "<td class=\"num\">500 (50 evaluated)</td><td class=\"num\">87.46</td>"
                + "<td class=\"num\">85.01</td><td class=\"num\">5.00</td>"), html);
        assertTrue(html.contains("<td class=\"num\">55:33:20</td>"), "200000 s");
        assertTrue(html.contains("<td class=\"num\">—</td></tr>"), "no parameter count");

        BufferedImage matrix = ImageIO.read(out.resolve("matrix-1.png").toFile());
        assertEquals(80 + 500 + 24 + 16 + 70, matrix.getWidth());
        assertEquals(20 + 500 + 64, matrix.getHeight());
        HeatMap map = new HeatMap(RunResults.read(dir.resolve("ob1k-500")), 80, 100);
        // One pixel per group; the 50 evaluated rows share the 500 pixels, 10 each.
        assertEquals(1, map.cell());
        assertEquals(10, map.rowHeight());
        // Colour scale 80..100 (lowest value 80.02 rounded down). First row, after task 10, group 1:
        // 90 - 0.02 * 9 = 89.82 -> 0.491 of the way: between (42,120,142) and (33,145,140) at 0.91.
        assertEquals(new Color(34, 143, 140), pixel(matrix, map.cellCentre(9, 0)));
        // Its own group: 90 % -> half way: viridis(0.5) = (33,145,140); right of it nothing is drawn.
        assertEquals(new Color(33, 145, 140), pixel(matrix, map.cellCentre(9, 9)));
        assertEquals(Color.WHITE, pixel(matrix, map.cellCentre(9, 10)));
        // Last row, group 1: 90 - 0.02 * 499 = 80.02 % -> 0.001 of the way: viridis' first colour.
        assertEquals(new Color(68, 1, 84), pixel(matrix, map.cellCentre(499, 0)));
        assertEquals(new Color(33, 145, 140), pixel(matrix, map.cellCentre(499, 499)));

        BufferedImage curve = ImageIO.read(out.resolve("accuracy.png").toFile());
        assertEquals(1000, curve.getWidth());
        assertTrue(Files.isRegularFile(out.resolve("routing-1.png")));
    }

    /** A pixel two in from the top-left corner of a cell of a 10-task map (away from the printed value). */
    private static Color cornerOf(BufferedImage image, int task, int group, int cell) {
        return new Color(image.getRGB(80 + group * cell + 2, 20 + task * cell + 2));
    }

    private static Color pixel(BufferedImage image, Point p) {
        return new Color(image.getRGB(p.x, p.y));
    }
}
