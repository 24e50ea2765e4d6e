package org.care4j.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Synthetic images written with javax.imageio for dataset and decoder tests. */
final class TestImages {

    private TestImages() {}

    /**
     * An RGB gradient whose pixel (x, y) is (x * 7 + seed, y * 5 + seed, (x + y) * 3 + seed) mod
     * 256.
     */
    static BufferedImage gradient(int width, int height, int seed) {
        BufferedImage im = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                im.setRGB(x, y, expected(x, y, seed));
            }
        }
        return im;
    }

    static int expected(int x, int y, int seed) {
        int r = (x * 7 + seed) & 0xFF;
        int g = (y * 5 + seed) & 0xFF;
        int b = ((x + y) * 3 + seed) & 0xFF;
        return (r << 16) | (g << 8) | b;
    }

    static byte[] encode(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static Path write(Path file, BufferedImage image, String format) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, encode(image, format));
    }
}
