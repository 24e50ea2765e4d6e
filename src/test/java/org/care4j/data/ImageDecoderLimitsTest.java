package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Image sizes read from the header, and the pixel limit enforced before any pixel is allocated. */
class ImageDecoderLimitsTest {

    @TempDir Path dir;

    /**
     * A PNG that states {@code width x height} RGB pixels in its IHDR but carries only one row of
     * compressed data: a few hundred bytes on disk, gigabytes once decoded.
     */
    static byte[] pngHeader(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height);
        ihdr.put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        Deflater deflater = new Deflater();
        deflater.setInput(new byte[1 + 3 * Math.min(width, 4096)]);
        deflater.finish();
        byte[] compressed = new byte[65536];
        int n = deflater.deflate(compressed);
        chunk(out, "IDAT", java.util.Arrays.copyOf(compressed, n));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(name);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(name);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getCurrentThreadAllocatedBytes();
    }

    @Test
    void aPngClaiming20000By20000PixelsIsRefusedWithoutAllocatingIt() throws Exception {
        Path file = Files.write(dir.resolve("huge.png"), pngHeader(20000, 20000));
        assertTrue(Files.size(file) < 2000, "the file itself is small: " + Files.size(file));
        // Loads the PNG reader's classes, so that only the refusal itself is measured.
        ImageDecoder.decode(pngHeader(4, 1), "warm-up.png");
        long before = allocatedBytes();
        BadImageException e = assertThrows(BadImageException.class, () -> ImageDecoder.decode(file));
        long allocated = allocatedBytes() - before;

        assertEquals(
                file + ": image of 20000x20000 pixels (400 megapixels) exceeds the limit of 100"
                        + " megapixels",
                e.getMessage());
        // Decoding would need 1.2 GB for the RGB bytes alone; refusing costs the file and a reader.
        assertTrue(allocated < 16L << 20, "allocated " + allocated + " bytes");
        assertThrows(BadImageException.class, () -> ImageDecoder.size(file));
    }

    @Test
    void sizeReadsTheHeaderOfEachFormatAndTheLimitIsInclusive() throws Exception {
        Path png = TestImages.write(dir.resolve("a.png"), TestImages.gradient(7, 3, 0), "png");
        Path jpg = TestImages.write(dir.resolve("b.jpg"), TestImages.gradient(5, 9, 0), "jpg");
        Path bmp = TestImages.write(dir.resolve("c.bmp"), TestImages.gradient(1, 1, 0), "bmp");
        assertEquals(new ImageDecoder.Size(7, 3), ImageDecoder.size(png));
        assertEquals(new ImageDecoder.Size(5, 9), ImageDecoder.size(jpg));
        assertEquals(new ImageDecoder.Size(1, 1), ImageDecoder.size(bmp));

        // 10000 x 10000 is exactly the limit: the header passes (the pixels are not decoded here).
        Path limit = Files.write(dir.resolve("limit.png"), pngHeader(10000, 10000));
        assertEquals(new ImageDecoder.Size(10000, 10000), ImageDecoder.size(limit));
        Path over = Files.write(dir.resolve("over.png"), pngHeader(10000, 10001));
        assertTrue(
                assertThrows(BadImageException.class, () -> ImageDecoder.size(over))
                        .getMessage()
                        .contains("10000x10001 pixels"));
    }

    @Test
    void aTextFileAndAMissingFileAreNamed() throws Exception {
        Path text = Files.writeString(dir.resolve("notes.png"), "not a picture");
        assertEquals(
                text + ": not a JPEG, PNG or BMP file (unknown signature)",
                assertThrows(BadImageException.class, () -> ImageDecoder.size(text)).getMessage());
        Path missing = dir.resolve("gone.jpg");
        assertTrue(
                assertThrows(BadImageException.class, () -> ImageDecoder.size(missing))
                        .getMessage()
                        .startsWith(missing + ": cannot read file"));
    }
}
