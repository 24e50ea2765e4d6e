package org.care4j.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * Writes small CIFAR-100 files in both official layouts. The python layout is pickled the way
 * Python 2's cPickle (protocol 2) wrote the official files: Python 2 strings as
 * SHORT_BINSTRING/BINSTRING, the image array through {@code numpy.core.multiarray._reconstruct}
 * with its raw bytes as one BINSTRING.
 */
final class CifarFixtures {

    private CifarFixtures() {}

    static List<String> names() {
        List<String> names = new ArrayList<>();
        for (int c = 0; c < Cifar100.CLASSES; c++) {
            names.add("class_" + c);
        }
        return names;
    }

    /** Planar pixels of image {@code i}: a pattern that differs per image, plane and pixel. */
    static byte[] planes(int i) {
        byte[] p = new byte[Cifar100.IMAGE_BYTES];
        for (int k = 0; k < p.length; k++) {
            p[k] = (byte) (k * 7 + i * 31 + (k / 1024) * 50);
        }
        return p;
    }

    static byte[] binaryRecords(int[] fineLabels, int offset) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < fineLabels.length; i++) {
            out.write(fineLabels[i] / 5);
            out.write(fineLabels[i]);
            out.writeBytes(planes(offset + i));
        }
        return out.toByteArray();
    }

    static Path writeBinary(Path dir, int[] train, int[] test) throws IOException {
        Path d = Files.createDirectories(dir.resolve("cifar-100-binary"));
        Files.write(d.resolve("train.bin"), binaryRecords(train, 0));
        Files.write(d.resolve("test.bin"), binaryRecords(test, train.length));
        Files.writeString(d.resolve("fine_label_names.txt"), String.join("\n", names()) + "\n");
        Files.writeString(d.resolve("coarse_label_names.txt"), "coarse\n");
        return d;
    }

    static Path writePython(Path dir, int[] train, int[] test) throws IOException {
        Path d = Files.createDirectories(dir.resolve("cifar-100-python"));
        Files.write(d.resolve("train"), pickledSplit(train, 0, "training"));
        Files.write(d.resolve("test"), pickledSplit(test, train.length, "testing"));
        Files.write(d.resolve("meta"), pickledMeta());
        return d;
    }

    static byte[] pickledSplit(int[] labels, int offset, String batch) {
        Py2Pickle p = new Py2Pickle();
        p.op(0x80).op(2).op('}').op('(');
        p.str("filenames").op(']').op('(');
        for (int i = 0; i < labels.length; i++) {
            p.str("image_" + (offset + i) + ".png");
        }
        p.op('e');
        p.str("batch_label").str(batch + " batch 1 of 1");
        p.str("fine_labels").intList(labels);
        int[] coarse = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            coarse[i] = labels[i] / 5;
        }
        p.str("coarse_labels").intList(coarse);
        ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        for (int i = 0; i < labels.length; i++) {
            pixels.writeBytes(planes(offset + i));
        }
        p.str("data").uint8Array(labels.length, Cifar100.IMAGE_BYTES, pixels.toByteArray());
        p.op('u').op('.');
        return p.bytes();
    }

    static byte[] pickledMeta() {
        Py2Pickle p = new Py2Pickle();
        p.op(0x80).op(2).op('}').op('(');
        p.str("fine_label_names").op(']').op('(');
        for (String n : names()) {
            p.str(n);
        }
        p.op('e');
        p.str("coarse_label_names").op(']').op('(').str("coarse").op('e');
        p.op('u').op('.');
        return p.bytes();
    }

    /** Packs a folder into a .tar.gz whose entries start with the folder's own name. */
    static Path tarGz(Path folder, Path archive) throws IOException {
        try (OutputStream file = Files.newOutputStream(archive);
                TarArchiveOutputStream tar =
                        new TarArchiveOutputStream(new GzipCompressorOutputStream(file));
                Stream<Path> files = Files.walk(folder)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                String name =
                        folder.getFileName()
                                + "/"
                                + folder.relativize(f).toString().replace('\\', '/');
                if (Files.isDirectory(f)) {
                    tar.putArchiveEntry(
                            new TarArchiveEntry(name.endsWith("/") ? name : name + "/"));
                } else {
                    TarArchiveEntry e = new TarArchiveEntry(name);
                    e.setSize(Files.size(f));
                    tar.putArchiveEntry(e);
                    Files.copy(f, tar);
                }
                tar.closeArchiveEntry();
            }
        }
        return archive;
    }

    /** The opcodes a Python 2 protocol-2 pickle of CIFAR's dicts uses. */
    static final class Py2Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Py2Pickle op(int b) {
            out.write(b);
            return this;
        }

        Py2Pickle str(String s) {
            byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
            return rawString(b);
        }

        Py2Pickle rawString(byte[] b) {
            if (b.length < 256) {
                op('U').op(b.length);
            } else {
                op('T').int32(b.length);
            }
            out.writeBytes(b);
            return this;
        }

        Py2Pickle integer(int v) {
            if (v >= 0 && v < 256) {
                return op('K').op(v);
            }
            if (v >= 0 && v < 65536) {
                return op('M').op(v & 0xFF).op(v >>> 8);
            }
            return op('J').int32(v);
        }

        Py2Pickle intList(int[] values) {
            op(']');
            for (int start = 0; start < values.length; start += 1000) {
                op('(');
                for (int i = start; i < Math.min(values.length, start + 1000); i++) {
                    integer(values[i]);
                }
                op('e');
            }
            return this;
        }

        Py2Pickle global(String module, String name) {
            out.writeBytes(("c" + module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
            return this;
        }

        Py2Pickle uint8Array(int rows, int cols, byte[] data) {
            global("numpy.core.multiarray", "_reconstruct").global("numpy", "ndarray");
            integer(0).op(0x85).str("b").op(0x87).op('R');
            op('(').integer(1).integer(rows).integer(cols).op(0x86);
            global("numpy", "dtype").str("u1").integer(0).integer(1).op(0x87).op('R');
            op('(').integer(3)
                    .str("|")
                    .op('N')
                    .op('N')
                    .op('N')
                    .integer(-1)
                    .integer(-1)
                    .integer(0)
                    .op('t')
                    .op('b');
            op(0x89).rawString(data).op('t').op('b');
            return this;
        }

        private Py2Pickle int32(int v) {
            out.write(v);
            out.write(v >>> 8);
            out.write(v >>> 16);
            out.write(v >>> 24);
            return this;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
