package org.care4j.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.care4j.runtime.CareException;

/**
 * Extracts a {@code .tar.gz} or {@code .zip} into a folder, refusing anything that would write
 * outside it.
 *
 * <p>Entries are written to a fresh staging folder inside the destination; an entry whose path is
 * absolute or leaves the destination (through {@code ..}), a symbolic or hard link, or a device
 * entry stops the extraction with a {@link CareException} naming the archive and the entry, and the
 * staging folder is removed, so nothing of a refused archive remains. When all entries are written,
 * the top-level items move into the destination, replacing items of the same name.
 */
public final class ArchiveExtractor {

    private ArchiveExtractor() {}

    /**
     * Extracts an archive chosen by its name ({@code .tar.gz}, {@code .tgz} or {@code .zip}).
     *
     * @return the top-level items now in {@code destination}
     */
    public static List<Path> extract(Path archive, Path destination) {
        String name = archive.getFileName().toString().toLowerCase(Locale.ROOT);
        Path staging;
        try {
            Files.createDirectories(destination);
            staging = Files.createTempDirectory(destination, ".extract-");
        } catch (IOException e) {
            throw new CareException(destination + ": cannot create folder: " + e.getMessage(), e);
        }
        try {
            if (name.endsWith(".tar.gz") || name.endsWith(".tgz")) {
                extractTarGz(archive, staging);
            } else if (name.endsWith(".zip")) {
                extractZip(archive, staging);
            } else {
                throw new CareException(
                        archive + ": unknown archive type (expected .tar.gz or .zip)");
            }
            return moveInto(staging, destination);
        } catch (IOException e) {
            throw new CareException(archive + ": cannot extract: " + e.getMessage(), e);
        } finally {
            deleteTree(staging);
        }
    }

    private static void extractTarGz(Path archive, Path staging) throws IOException {
        try (InputStream file = new BufferedInputStream(Files.newInputStream(archive), 1 << 16);
                TarArchiveInputStream tar =
                        new TarArchiveInputStream(new GzipCompressorInputStream(file))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                if (e.isSymbolicLink() || e.isLink()) {
                    throw refused(archive, e.getName(), "is a link (links are not extracted)");
                }
                Path out = inside(archive, e.getName(), staging);
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                } else if (e.isFile()) {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out, StandardCopyOption.REPLACE_EXISTING);
                } else if (!e.isGlobalPaxHeader() && !e.isPaxHeader()) {
                    throw refused(archive, e.getName(), "is not a regular file or folder");
                }
            }
        }
    }

    private static void extractZip(Path archive, Path staging) throws IOException {
        try (ZipFile zip = ZipFile.builder().setPath(archive).get()) {
            for (Enumeration<ZipArchiveEntry> en = zip.getEntries(); en.hasMoreElements(); ) {
                ZipArchiveEntry e = en.nextElement();
                if (e.isUnixSymlink()) {
                    throw refused(archive, e.getName(), "is a link (links are not extracted)");
                }
                Path out = inside(archive, e.getName(), staging);
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                } else {
                    Files.createDirectories(out.getParent());
                    try (InputStream in = zip.getInputStream(e)) {
                        Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
    }

    /** The path an entry would be written to, if it stays inside {@code root}. */
    static Path inside(Path archive, String entry, Path root) {
        String name = entry.replace('\\', '/');
        if (name.startsWith("/") || name.matches("^[A-Za-z]:.*") || name.indexOf('\0') >= 0) {
            throw refused(archive, entry, "has an absolute path");
        }
        for (String part : name.split("/")) {
            if (part.equals("..")) {
                throw refused(
                        archive,
                        entry,
                        "would land outside the destination (its path contains ..)");
            }
        }
        Path out = root.resolve(name).normalize();
        if (!out.startsWith(root)) {
            throw refused(archive, entry, "would land outside the destination");
        }
        return out;
    }

    private static CareException refused(Path archive, String entry, String why) {
        return new CareException(
                archive + ": entry '" + entry + "' " + why + "; extraction refused");
    }

    private static List<Path> moveInto(Path staging, Path destination) throws IOException {
        List<Path> moved = new ArrayList<>();
        try (DirectoryStream<Path> items = Files.newDirectoryStream(staging)) {
            for (Path item : items) {
                Path target = destination.resolve(item.getFileName().toString());
                if (Files.exists(target)) {
                    deleteTree(target);
                }
                Files.move(item, target, StandardCopyOption.ATOMIC_MOVE);
                moved.add(target);
            }
        }
        return moved;
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new CareException(root + ": cannot remove: " + e.getMessage(), e);
        }
    }
}
