package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.care4j.runtime.CareException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Omniglot's official layout (folders and zips), its class order and its fixed per-class split. */
class OmniglotTest {

    /**
     * Character folder -> character number; sorted folder order (3, 1, 2 | 5, 4) differs from
     * number order.
     */
    private static final Map<String, Integer> BACKGROUND =
            Map.of("Alpha/character01", 3, "Alpha/character02", 1, "Beta/character01", 2);

    private static final Map<String, Integer> EVALUATION =
            Map.of("Gamma/character01", 5, "Gamma/character02", 4);

    @TempDir Path tmp;

    @Test
    void classesFollowCharacterNumbersAndDrawers1To15Train() throws IOException {
        Path root = writeOfficial(tmp.resolve("folders"));
        Omniglot o = Omniglot.read(root);
        assertEquals(List.of("0001", "0002", "0003", "0004", "0005"), o.classNames());
        assertEquals(5 * 15, o.train().size());
        assertEquals(5 * 5, o.test().size());
        assertEquals(0, o.train().label(14));
        assertEquals(1, o.train().label(15));
        assertEquals(4, o.test().label(24));
        // train image 16 = class 1 (character 2), drawer 2; test image 7 = class 1, drawer 18
        assertIsDrawing(o.train().image(16), 2, 2);
        assertIsDrawing(o.test().image(7), 2, 18);
        assertTrue(
                o.test().describe(7).endsWith("Beta/character01/0002_18.png"),
                o.test().describe(7));
    }

    @Test
    void zipsGiveTheSameImagesAsFolders() throws IOException {
        Omniglot folders = Omniglot.read(writeOfficial(tmp.resolve("folders")));
        Path zips = Files.createDirectories(tmp.resolve("zips"));
        for (String set : List.of("images_background", "images_evaluation")) {
            zip(tmp.resolve("folders").resolve(set), zips.resolve(set + ".zip"));
        }
        Omniglot zipped = Omniglot.read(zips);
        assertEquals(folders.classNames(), zipped.classNames());
        for (int i = 0; i < folders.train().size(); i++) {
            assertEquals(folders.train().label(i), zipped.train().label(i));
            assertEquals(
                    java.util.Arrays.toString(folders.train().image(i).rgb()),
                    java.util.Arrays.toString(zipped.train().image(i).rgb()));
        }
        assertTrue(
                zipped.train()
                        .describe(0)
                        .contains("images_background.zip!images_background/Alpha/"),
                zipped.train().describe(0));
    }

    @Test
    void missingDrawingAndMissingSetAreReported() throws IOException {
        Path root = writeOfficial(tmp.resolve("folders"));
        Files.delete(root.resolve("images_evaluation/Gamma/character02/0004_07.png"));
        CareException e = assertThrows(CareException.class, () -> Omniglot.read(root));
        assertTrue(e.getMessage().contains("Gamma/character02 (0004)"), e.getMessage());
        CareException none =
                assertThrows(CareException.class, () -> Omniglot.read(tmp.resolve("empty")));
        assertTrue(none.getMessage().contains("images_background"), none.getMessage());
    }

    @Test
    void numpyArraysGiveTheSameClassesInTheSameOrderAsTheOfficialLayout() throws IOException {
        Omniglot official = Omniglot.read(writeOfficial(tmp.resolve("folders")));
        // The arrays of images_{background,evaluation}.npz: class c = character (offset + c + 1).
        List<boolean[]> images = List.of(arrays(0, 3), arrays(3, 2));
        List<long[]> labels = List.of(labels(3), labels(2));
        Omniglot npz = Omniglot.fromArrays(images, labels, List.of("bg.npz", "ev.npz"));
        assertEquals(official.classNames(), npz.classNames());
        for (ImageDataset[] pair :
                List.of(
                        new ImageDataset[] {official.train(), npz.train()},
                        new ImageDataset[] {official.test(), npz.test()})) {
            assertEquals(pair[0].size(), pair[1].size());
            for (int i = 0; i < pair[0].size(); i++) {
                assertEquals(pair[0].label(i), pair[1].label(i));
                assertArrayEquals(pair[0].image(i).rgb(), pair[1].image(i).rgb());
            }
        }
        assertEquals("ev.npz images[1][19]", npz.test().describe(24));
        long[] wrong = labels(2);
        wrong[5] = 1;
        CareException e =
                assertThrows(
                        CareException.class,
                        () ->
                                Omniglot.fromArrays(
                                        images,
                                        List.of(labels(3), wrong),
                                        List.of("bg.npz", "ev.npz")));
        assertTrue(e.getMessage().startsWith("ev.npz: labels[0][5] is 1"), e.getMessage());
    }

    /** images[c][d] of characters offset+1 .. offset+classes as bool arrays (true = white). */
    private static boolean[] arrays(int offset, int classes) {
        boolean[] out = new boolean[classes * 20 * 105 * 105];
        for (int c = 0; c < classes; c++) {
            for (int d = 0; d < 20; d++) {
                BufferedImage im = drawing(offset + c + 1, d + 1);
                for (int p = 0; p < 105 * 105; p++) {
                    out[(c * 20 + d) * 105 * 105 + p] =
                            (im.getRGB(p % 105, p / 105) & 0xFFFFFF) != 0;
                }
            }
        }
        return out;
    }

    private static long[] labels(int classes) {
        long[] out = new long[classes * 20];
        for (int k = 0; k < out.length; k++) {
            out[k] = k / 20;
        }
        return out;
    }

    /** Drawing of character n by drawer d: white, with black pixels at row d and at column n. */
    private static BufferedImage drawing(int n, int d) {
        BufferedImage im = new BufferedImage(105, 105, BufferedImage.TYPE_BYTE_BINARY);
        for (int y = 0; y < 105; y++) {
            for (int x = 0; x < 105; x++) {
                boolean ink = y == d || x == 50 + n;
                im.setRGB(x, y, ink ? 0 : 0xFFFFFF);
            }
        }
        return im;
    }

    private static void assertIsDrawing(RgbImage image, int n, int d) {
        assertEquals(105, image.width());
        for (int y = 0; y < 105; y++) {
            for (int x = 0; x < 105; x++) {
                int expected = y == d || x == 50 + n ? 0 : 255;
                for (int c = 0; c < 3; c++) {
                    assertEquals(expected, image.get(x, y, c), "pixel " + x + "," + y);
                }
            }
        }
    }

    private static Path writeOfficial(Path root) throws IOException {
        for (Map.Entry<String, Map<String, Integer>> set :
                Map.of("images_background", BACKGROUND, "images_evaluation", EVALUATION)
                        .entrySet()) {
            for (Map.Entry<String, Integer> c : set.getValue().entrySet()) {
                for (int d = 1; d <= 20; d++) {
                    String name = String.format("%04d_%02d.png", c.getValue(), d);
                    TestImages.write(
                            root.resolve(set.getKey()).resolve(c.getKey()).resolve(name),
                            drawing(c.getValue(), d),
                            "png");
                }
            }
        }
        return root;
    }

    private static void zip(Path folder, Path zip) throws IOException {
        try (OutputStream file = Files.newOutputStream(zip);
                ZipOutputStream out = new ZipOutputStream(file);
                Stream<Path> walk = Files.walk(folder)) {
            for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                String name =
                        folder.getFileName()
                                + "/"
                                + folder.relativize(p).toString().replace('\\', '/');
                if (Files.isDirectory(p)) {
                    out.putNextEntry(new ZipEntry(name.endsWith("/") ? name : name + "/"));
                } else {
                    out.putNextEntry(new ZipEntry(name));
                    Files.copy(p, out);
                }
                out.closeEntry();
            }
        }
    }

    @Test
    void sharedNumpyArraysGive1623ClassesWithFifteenTrainAndFiveTestDrawingsEach() {
        Path dir = Path.of(System.getProperty("care.shared", "../shared")).resolve("data/omniglot");
        Omniglot omniglot = Omniglot.read(dir);
        assertEquals(1623, omniglot.classNames().size());
        assertEquals(1623 * 15, omniglot.train().size());
        assertEquals(1623 * 5, omniglot.test().size());
        assertEquals("0001", omniglot.classNames().get(0));
        RgbImage first = omniglot.train().image(0);
        assertEquals(105, first.width());
        assertEquals(105, first.height());
    }
}
