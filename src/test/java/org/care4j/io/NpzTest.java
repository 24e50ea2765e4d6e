package org.care4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzTest {

    @TempDir
    Path dir;

    @Test
    void readsStoredAndDeflatedEntriesByNameWithOrWithoutSuffix() throws IOException {
        byte[] x = NpyWriter.encode("<i8", new long[] {3}, false, SafeTensorsTest.le(8, 4, 5, 6));
        byte[] y = NpyWriter.encode("|b1", new long[] {2, 1}, false, new byte[] {1, 0});
        byte[] archive = zip(List.of("x.npy", "y.npy"), List.of(x, y), List.of(true, false));
        Path file = Files.write(dir.resolve("pair.npz"), archive);

        try (Npz npz = Npz.open(file)) {
            assertEquals(List.of("x", "y"), npz.names());
            assertArrayEquals(new long[] {4, 5, 6}, npz.get("x").longs());
            assertArrayEquals(new long[] {4, 5, 6}, npz.get("x.npy").longs());
            NpyArray yArray = npz.get("y");
            assertArrayEquals(new long[] {2, 1}, yArray.shape());
            assertArrayEquals(new boolean[] {true, false}, yArray.booleans());
            assertTrue(npz.contains("y.npy"));
            assertFalse(npz.contains("z"));
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> npz.get("z"));
            assertEquals(file + ": no entry 'z' (entries: [x, y])", missing.getMessage());
        }
    }

    @Test
    void readsOmniglotBackground() throws IOException {
        try (Npz npz = Npz.open(SharedFiles.path("data/omniglot/images_background.npz"))) {
            assertEquals(List.of("images", "labels"), npz.names());

            NpyArray labels = npz.get("labels");
            assertEquals("<i8", labels.descr());
            assertArrayEquals(new long[] {964, 20}, labels.shape());
            long[] l = labels.longs();
            assertArrayEquals(new long[] {0, 0, 0, 0, 0}, java.util.Arrays.copyOf(l, 5));
            assertEquals(1, l[20]);
            assertEquals(963, l[l.length - 1]);

            NpyArray images = npz.get("images");
            assertEquals("|b1", images.descr());
            assertArrayEquals(new long[] {964, 20, 105, 105}, images.shape());
            byte[] pixels = images.bytes();
            assertEquals(212_562_000, pixels.length);
            long white = 0;
            for (byte p : pixels) {
                white += p;
            }
            // Counts from numpy: images.sum() and the first black pixel of the first drawing.
            assertEquals(195_994_993, white);
            assertEquals(1, pixels[2044]);
            assertEquals(0, pixels[2045]);
        }
    }

    @Test
    void refusesAnEntryThatClaimsMoreDataThanItsCompressedSizeCanHold() throws IOException {
        // A header for 100 MB of data followed by nothing: deflated, the entry is tiny.
        byte[] liar = NpyArrayTest.raw(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (100000000,), }",
                new byte[0]);
        Path file = Files.write(dir.resolve("liar.npz"), zip(List.of("a.npy"), List.of(liar), List.of(true)));

        try (Npz npz = Npz.open(file)) {
            MalformedFileException e = assertThrows(MalformedFileException.class, () -> npz.get("a"));
            assertTrue(e.getMessage().startsWith(file + ":a.npy: data truncated: shape (100000000,) of '|u1' needs"
                    + " 100000000 bytes but at most "), e.getMessage());
        }
    }

    @Test
    void refusesCorruptCompressedDataAndNonZipFiles() throws IOException {
        byte[] x = NpyWriter.encode("<f8", new long[] {64}, false, new byte[512]);
        byte[] archive = zip(List.of("x.npy"), List.of(x), List.of(true));
        // Local header (30 bytes + name) precedes the deflate stream; overwrite the stream's start.
        for (int i = 30 + 5; i < 30 + 5 + 8; i++) {
            archive[i] = (byte) 0xFF;
        }
        Path corrupt = Files.write(dir.resolve("corrupt.npz"), archive);
        try (Npz npz = Npz.open(corrupt)) {
            MalformedFileException e = assertThrows(MalformedFileException.class, () -> npz.get("x"));
            assertTrue(e.getMessage().startsWith(corrupt + ":x.npy: corrupt zip entry"), e.getMessage());
        }

        Path notZip = Files.write(dir.resolve("plain.npz"), new byte[100]);
        MalformedFileException e = assertThrows(MalformedFileException.class, () -> Npz.open(notZip));
        assertTrue(e.getMessage().startsWith(notZip + ": not a readable zip archive"), e.getMessage());
    }

    /** A zip archive of the given entries, each deflated or stored. */
    static byte[] zip(List<String> names, List<byte[]> contents, List<Boolean> deflated) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (int i = 0; i < names.size(); i++) {
                ZipEntry entry = new ZipEntry(names.get(i));
                byte[] content = contents.get(i);
                if (!deflated.get(i)) {
                    CRC32 crc = new CRC32();
                    crc.update(content);
                    entry.setMethod(ZipEntry.STORED);
                    entry.setSize(content.length);
                    entry.setCompressedSize(content.length);
                    entry.setCrc(crc.getValue());
                }
                out.putNextEntry(entry);
                out.write(content);
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
