package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.care4j.cli.Care;
import org.care4j.runtime.CareException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code care data fetch} and its parts against a loopback HTTP server serving the shared CIFAR-100
 * archive: download, resume, restart, checksum, and extraction that refuses to write outside its
 * folder.
 */
class DataFetchTest {

    private static Path cifar;
    private static String cifarMd5;

    @TempDir Path tmp;

    @BeforeAll
    static void sharedArchive() {
        cifar = SharedFiles.path("data/cifar-100-binary.tar.gz");
        cifarMd5 = Downloader.md5(cifar);
    }

    @Test
    void fetchCommandDownloadsAndExtractsCifarFromAnotherSource() throws IOException {
        try (LoopbackServer server = new LoopbackServer()) {
            URI url = server.serve("cifar-100-binary.tar.gz", cifar, "\"v1\"");
            Path root = tmp.resolve("data");
            Output out =
                    run(
                            "data",
                            "fetch",
                            "cifar100",
                            "--to",
                            root.toString(),
                            "--from",
                            url.toString());
            assertEquals(0, out.code, out.err);
            assertEquals(cifarMd5, Downloader.md5(root.resolve("cifar-100-binary.tar.gz")));
            assertEquals(153_700_000L, Files.size(root.resolve("cifar-100-binary/train.bin")));
            assertEquals(30_740_000L, Files.size(root.resolve("cifar-100-binary/test.bin")));
            assertTrue(out.out.contains("not verified"), out.out);
            try (Stream<Path> left = Files.list(root)) {
                assertEquals(
                        List.of("cifar-100-binary", "cifar-100-binary.tar.gz"),
                        left.map(p -> p.getFileName().toString()).sorted().toList(),
                        "no .part or staging left");
            }
        }
    }

    @Test
    void interruptedDownloadResumesWithARangeRequest() throws IOException {
        try (LoopbackServer server = new LoopbackServer()) {
            URI url = server.serve("c.tar.gz", cifar, "\"v1\"");
            server.cuts = 1;
            server.cutAfter = 20 << 20;
            Path target = tmp.resolve("c.tar.gz");
            CareException e =
                    assertThrows(
                            CareException.class,
                            () ->
                                    new Downloader(1, 5_000, 10_000, null)
                                            .fetch(url, target, cifarMd5));
            assertTrue(e.getMessage().contains("run the command again to resume"), e.getMessage());
            long kept = Files.size(Downloader.partFile(target));
            assertTrue(kept > 0 && kept <= 20 << 20, "kept " + kept);
            assertFalse(Files.exists(target));

            new Downloader(1, 5_000, 10_000, null).fetch(url, target, cifarMd5);
            assertEquals(List.of("bytes=" + kept + "-"), server.rangeRequests);
            assertEquals(List.of("\"v1\""), server.ifRangeRequests);
            assertEquals(cifarMd5, Downloader.md5(target));
            assertFalse(Files.exists(Downloader.partFile(target)));
        }
    }

    @Test
    void serverWithoutRangesMakesTheNextAttemptRestartFromZero() throws IOException {
        try (LoopbackServer server = new LoopbackServer()) {
            URI url = server.serve("c.tar.gz", cifar, "\"v1\"");
            server.rangeSupport = false;
            server.cuts = 1;
            server.cutAfter = 5 << 20;
            Path target = tmp.resolve("c.tar.gz");
            new Downloader(3, 5_000, 10_000, null).fetch(url, target, cifarMd5);
            assertEquals(2, server.requests.get());
            assertEquals(1, server.rangeRequests.size());
            assertEquals(cifarMd5, Downloader.md5(target));
        }
    }

    @Test
    void aFileChangedOnTheServerIsFetchedAnewNotSpliced() throws IOException {
        Path v1 =
                Files.write(
                        tmp.resolve("v1"),
                        "old content, long enough to be cut".getBytes(StandardCharsets.UTF_8));
        Path v2 =
                Files.write(
                        tmp.resolve("v2"),
                        "new content that replaced the old one".getBytes(StandardCharsets.UTF_8));
        try (LoopbackServer server = new LoopbackServer()) {
            URI url = server.serve("f", v1, "\"v1\"");
            server.cuts = 1;
            server.cutAfter = 10;
            Path target = tmp.resolve("out/f");
            assertThrows(
                    CareException.class,
                    () -> new Downloader(1, 5_000, 10_000, null).fetch(url, target, null));
            server.serve("f", v2, "\"v2\"");
            new Downloader(1, 5_000, 10_000, null).fetch(url, target, null);
            assertArrayEquals(Files.readAllBytes(v2), Files.readAllBytes(target));
        }
    }

    @Test
    void theOfficialSourceIsCheckedAgainstItsPublishedChecksum() throws IOException {
        try (LoopbackServer server = new LoopbackServer()) {
            URI url = server.serve("cifar-100-binary.tar.gz", cifar, "\"v1\"");
            DataFetch fetch = new DataFetch(new Downloader(1, 5_000, 10_000, null));
            DataFetch.Archive wrong =
                    new DataFetch.Archive(
                            "cifar-100-binary.tar.gz", url, "00000000000000000000000000000000");
            Path folder = tmp.resolve("data");
            CareException e =
                    assertThrows(
                            CareException.class,
                            () -> fetch.fetch(List.of(wrong), folder, List.of(), null, false));
            assertTrue(
                    e.getMessage()
                            .contains(
                                    "checksum mismatch for cifar-100-binary.tar.gz: expected MD5"
                                        + " 0000"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("got " + cifarMd5), e.getMessage());
            assertFalse(Files.exists(folder.resolve("cifar-100-binary.tar.gz")));
            assertFalse(
                    Files.exists(Downloader.partFile(folder.resolve("cifar-100-binary.tar.gz"))));

            DataFetch.Archive right =
                    new DataFetch.Archive("cifar-100-binary.tar.gz", url, cifarMd5);
            List<DataFetch.Result> results =
                    fetch.fetch(List.of(right), folder, List.of(), null, false);
            assertTrue(results.get(0).verified());
            assertTrue(results.get(0).downloaded());
            // A second run finds the verified archive in place and downloads nothing.
            int before = server.requests.get();
            assertFalse(
                    fetch.fetch(List.of(right), folder, List.of(), null, false)
                            .get(0)
                            .downloaded());
            assertEquals(before, server.requests.get());
        }
    }

    @Test
    void userMistakesEndWithOneLineAndExitCode2() throws IOException {
        try (LoopbackServer server = new LoopbackServer()) {
            URI missing = server.serve("other", cifar, "\"v1\"").resolve("/missing.zip");
            Output notFound =
                    run(
                            "data",
                            "fetch",
                            "cifar100",
                            "--to",
                            tmp.toString(),
                            "--from",
                            missing.toString());
            assertEquals(2, notFound.code);
            assertTrue(notFound.err.startsWith("care: " + missing + ": HTTP 404"), notFound.err);
        }
        Output count =
                run(
                        "data",
                        "fetch",
                        "omniglot",
                        "--to",
                        tmp.toString(),
                        "--from",
                        "a.zip",
                        "--from",
                        "b.zip",
                        "--from",
                        "c.zip");
        assertEquals(2, count.code);
        assertTrue(
                count.err.startsWith("care: give one --from per archive (2: images_background.zip"),
                count.err);
        Output unknown = run("data", "fetch", "mnist", "--to", tmp.toString());
        assertEquals(2, unknown.code);
        assertTrue(unknown.err.contains("cannot fetch 'mnist'"), unknown.err);
    }

    @Test
    void localFilesAreCopiedWithAnOptionalChecksum() throws IOException {
        Path dir = CifarFixtures.writeBinary(tmp.resolve("src"), new int[] {1, 2}, new int[] {3});
        Path archive = CifarFixtures.tarGz(dir, tmp.resolve("src/mine.tar.gz"));
        Path root = tmp.resolve("data");
        Output bad =
                run(
                        "data",
                        "fetch",
                        "cifar100",
                        "--to",
                        root.toString(),
                        "--from",
                        archive.toString(),
                        "--md5",
                        "0123456789abcdef0123456789abcdef");
        assertEquals(2, bad.code);
        assertTrue(bad.err.contains("checksum mismatch"), bad.err);
        Output good =
                run(
                        "data",
                        "fetch",
                        "cifar100",
                        "--to",
                        root.toString(),
                        "--from",
                        archive.toString(),
                        "--md5",
                        Downloader.md5(archive));
        assertEquals(0, good.code, good.err);
        assertEquals(2, Cifar100.read(root.resolve("cifar-100-binary")).train().size());
    }

    @Test
    void tarEntryWithDotDotIsRefusedAndNothingIsWritten() throws IOException {
        Path archive = tmp.resolve("evil.tar.gz");
        try (OutputStream file = Files.newOutputStream(archive);
                TarArchiveOutputStream tar =
                        new TarArchiveOutputStream(new GzipCompressorOutputStream(file))) {
            addTarFile(tar, "cifar-100-binary/ok.txt", "fine");
            addTarFile(tar, "cifar-100-binary/../../evil.txt", "escaped");
        }
        Path dest = Files.createDirectories(tmp.resolve("dest/inner"));
        CareException e =
                assertThrows(CareException.class, () -> ArchiveExtractor.extract(archive, dest));
        assertEquals(
                archive
                        + ": entry 'cifar-100-binary/../../evil.txt' would land outside the"
                        + " destination (its path contains ..); extraction refused",
                e.getMessage());
        assertFalse(Files.exists(tmp.resolve("dest/evil.txt")));
        assertFalse(Files.exists(tmp.resolve("evil.txt")));
        try (Stream<Path> left = Files.list(dest)) {
            assertEquals(0, left.count(), "staging folder removed, nothing extracted");
        }
    }

    @Test
    void absolutePathsLinksAndZipSlipAreRefused() throws IOException {
        Path abs = tmp.resolve("abs.tar.gz");
        try (OutputStream file = Files.newOutputStream(abs);
                TarArchiveOutputStream tar =
                        new TarArchiveOutputStream(new GzipCompressorOutputStream(file))) {
            TarArchiveEntry e = new TarArchiveEntry("/etc/care-test", true);
            e.setSize(1);
            tar.putArchiveEntry(e);
            tar.write('x');
            tar.closeArchiveEntry();
        }
        Path dest = tmp.resolve("dest");
        assertTrue(
                assertThrows(CareException.class, () -> ArchiveExtractor.extract(abs, dest))
                        .getMessage()
                        .contains("'/etc/care-test' has an absolute path"));

        Path link = tmp.resolve("link.tar.gz");
        try (OutputStream file = Files.newOutputStream(link);
                TarArchiveOutputStream tar =
                        new TarArchiveOutputStream(new GzipCompressorOutputStream(file))) {
            TarArchiveEntry e = new TarArchiveEntry("a/link", TarArchiveEntry.LF_SYMLINK);
            e.setLinkName("/etc/passwd");
            tar.putArchiveEntry(e);
            tar.closeArchiveEntry();
        }
        assertTrue(
                assertThrows(CareException.class, () -> ArchiveExtractor.extract(link, dest))
                        .getMessage()
                        .contains("'a/link' is a link"));

        Path zip = tmp.resolve("evil.zip");
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            out.putNextEntry(new ZipEntry("images_background/../../evil.png"));
            out.write(1);
            out.closeEntry();
        }
        assertTrue(
                assertThrows(CareException.class, () -> ArchiveExtractor.extract(zip, dest))
                        .getMessage()
                        .contains("'images_background/../../evil.png' would land outside"));
        assertFalse(Files.exists(tmp.resolve("evil.png")));
    }

    private static void addTarFile(TarArchiveOutputStream tar, String name, String content)
            throws IOException {
        byte[] b = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(b.length);
        tar.putArchiveEntry(e);
        tar.write(b);
        tar.closeArchiveEntry();
    }

    private record Output(int code, String out, String err) {}

    private static synchronized Output run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Care.execute(args);
            return new Output(
                    code,
                    out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
