package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.care4j.runtime.CareException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ImageFolder scanning (torchvision's order) and image decoding. */
class ImageFolderDatasetTest {

    @TempDir Path tmp;

    @Test
    void classesAreSortedFolderNamesAndImagesAreFoundRecursivelyInSortedOrder() throws IOException {
        Path train = tmp.resolve("train");
        TestImages.write(train.resolve("b/2.png"), TestImages.gradient(4, 3, 1), "png");
        TestImages.write(train.resolve("b/10.png"), TestImages.gradient(4, 3, 2), "png");
        TestImages.write(train.resolve("b/sub/0.bmp"), TestImages.gradient(4, 3, 3), "bmp");
        TestImages.write(train.resolve("a/x.JPG"), TestImages.gradient(16, 16, 4), "jpeg");
        TestImages.write(train.resolve("Zeta/z.png"), TestImages.gradient(2, 2, 5), "png");
        Files.writeString(train.resolve("a/notes.txt"), "not an image");
        Files.writeString(train.resolve("README"), "a file beside the class folders");

        ImageFolderDataset ds = ImageFolderDataset.open(train);

        // Python's sorted(): upper case before lower case; "10.png" before "2.png"; b/ before
        // b/sub/
        assertEquals(List.of("Zeta", "a", "b"), ds.classNames());
        assertEquals(5, ds.size());
        assertEquals(
                List.of("Zeta/z.png", "a/x.JPG", "b/10.png", "b/2.png", "b/sub/0.bmp"),
                Arrays.stream(new int[] {0, 1, 2, 3, 4})
                        .mapToObj(i -> train.relativize(ds.file(i)).toString())
                        .toList());
        assertEquals(
                List.of(0, 1, 2, 2, 2),
                Arrays.stream(new int[] {0, 1, 2, 3, 4}).map(ds::label).boxed().toList());
        assertPixelsExact(ds.image(2), 2);
        assertPixelsExact(ds.image(3), 1);
        assertPixelsExact(ds.image(4), 3);
        assertEquals(ds.file(3).toString(), ds.describe(3));
    }

    @Test
    void jpegDecodesCloseToItsSource() throws IOException {
        Path file = TestImages.write(tmp.resolve("a.jpg"), TestImages.gradient(16, 16, 4), "jpeg");
        RgbImage image = ImageDecoder.decode(file);
        assertEquals(16, image.width());
        double error = 0;
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                int rgb = TestImages.expected(x, y, 4);
                for (int c = 0; c < 3; c++) {
                    error += Math.abs(image.get(x, y, c) - ((rgb >>> (16 - 8 * c)) & 0xFF));
                }
            }
        }
        assertTrue(error / (16 * 16 * 3) < 6, "mean absolute JPEG error " + error / (16 * 16 * 3));
    }

    @Test
    void greyPaletteAndAlphaImagesBecomeRgbAsPilConvertDoes() {
        BufferedImage grey = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setPixels(0, 0, 3, 1, new int[] {0, 100, 255});
        RgbImage g = ImageDecoder.decode(TestImages.encode(grey, "png"), "grey.png");
        assertEquals(100, g.get(1, 0, 0), "grey is copied, not gamma-converted");
        assertEquals(100, g.get(1, 0, 2));

        IndexColorModel palette =
                new IndexColorModel(
                        1,
                        2,
                        new byte[] {10, (byte) 200},
                        new byte[] {20, (byte) 210},
                        new byte[] {30, (byte) 220});
        BufferedImage indexed = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_BINARY, palette);
        indexed.getRaster().setPixels(0, 0, 2, 1, new int[] {0, 1});
        RgbImage p = ImageDecoder.decode(TestImages.encode(indexed, "png"), "palette.png");
        assertEquals(10, p.get(0, 0, 0));
        assertEquals(220, p.get(1, 0, 2));

        BufferedImage alpha = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        alpha.setRGB(0, 0, 0x40_11_22_33);
        RgbImage a = ImageDecoder.decode(TestImages.encode(alpha, "png"), "alpha.png");
        assertEquals(0x11, a.get(0, 0, 0), "alpha is dropped, not composited");
        assertEquals(0x33, a.get(0, 0, 2));
    }

    @Test
    void corruptJpegIsReportedWithItsFileAndProblem() throws IOException {
        byte[] jpeg = TestImages.encode(TestImages.gradient(64, 64, 0), "jpeg");
        Path truncated =
                Files.write(tmp.resolve("cut.jpg"), Arrays.copyOf(jpeg, jpeg.length * 3 / 4));
        BadImageException cut =
                assertThrows(BadImageException.class, () -> ImageDecoder.decode(truncated));
        assertTrue(cut.getMessage().startsWith(truncated + ": corrupt JPEG"), cut.getMessage());
        assertEquals(truncated.toString(), cut.source());

        Path garbage = Files.write(tmp.resolve("garbage.jpg"), new byte[] {1, 2, 3, 4});
        BadImageException bad =
                assertThrows(BadImageException.class, () -> ImageDecoder.decode(garbage));
        assertTrue(bad.getMessage().contains("not a JPEG, PNG or BMP"), bad.getMessage());

        Path header = Files.write(tmp.resolve("header.jpg"), Arrays.copyOf(jpeg, 40));
        BadImageException broken =
                assertThrows(BadImageException.class, () -> ImageDecoder.decode(header));
        assertTrue(broken.getMessage().startsWith(header + ": corrupt JPEG"), broken.getMessage());
    }

    @Test
    void emptyClassFolderIsReported() throws IOException {
        Path train = tmp.resolve("train");
        TestImages.write(train.resolve("a/1.png"), TestImages.gradient(2, 2, 0), "png");
        Files.createDirectories(train.resolve("b"));
        Files.writeString(train.resolve("b/readme.txt"), "no images here");
        CareException e = assertThrows(CareException.class, () -> ImageFolderDataset.open(train));
        assertTrue(
                e.getMessage().startsWith(train.resolve("b") + ": empty class folder"),
                e.getMessage());
    }

    @Test
    void missingSplitAndUnsupportedFormatsAreReported() throws IOException {
        CareException missing =
                assertThrows(
                        CareException.class, () -> ImageFolderDataset.open(tmp.resolve("nothing")));
        assertTrue(missing.getMessage().contains("nothing"), missing.getMessage());
        Path train = tmp.resolve("train");
        Files.createDirectories(train.resolve("a"));
        Path webp = Files.write(train.resolve("a/x.webp"), new byte[] {0});
        CareException e = assertThrows(CareException.class, () -> ImageFolderDataset.open(train));
        assertTrue(
                e.getMessage().startsWith(webp + ": unsupported image format .webp"),
                e.getMessage());
        Files.delete(webp);
        CareException none =
                assertThrows(
                        CareException.class, () -> ImageFolderDataset.open(train.resolve("a")));
        assertTrue(none.getMessage().contains("no class folders"), none.getMessage());
    }

    private static void assertPixelsExact(RgbImage image, int seed) {
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                int rgb = TestImages.expected(x, y, seed);
                assertEquals((rgb >>> 16) & 0xFF, image.get(x, y, 0));
                assertEquals((rgb >>> 8) & 0xFF, image.get(x, y, 1));
                assertEquals(rgb & 0xFF, image.get(x, y, 2));
            }
        }
    }
}
