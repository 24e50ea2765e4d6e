package org.care4j.io;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A NumPy {@code .npz} archive: a zip file whose entries are {@code .npy} arrays, stored or deflated, as
 * written by {@code numpy.savez} and {@code numpy.savez_compressed}.
 *
 * <p>Opening reads only the zip directory; {@link #get} decompresses one entry when asked, straight into one
 * array of its final size. An entry is addressed by its name with or without the {@code .npy} suffix
 * ({@code "images"} or {@code "images.npy"}), and {@link #names()} lists names without it, like NumPy's
 * {@code NpzFile.files}. Errors name the archive and the entry, e.g. {@code "images_background.npz:images.npy"}.
 */
public final class Npz implements AutoCloseable {

    // Deflate expands at most about 1032:1, so no honest entry inflates beyond this multiple of its compressed
    // size; a directory that claims more is refused before anything is allocated.
    private static final long MAX_DEFLATE_RATIO = 1032;
    private static final long DEFLATE_SLACK_BYTES = 1024;

    private static final String SUFFIX = ".npy";

    private final Path file;
    private final ZipFile zip;
    private final List<String> names;

    private Npz(Path file, ZipFile zip, List<String> names) {
        this.file = file;
        this.zip = zip;
        this.names = names;
    }

    /**
     * Opens an archive and reads its directory.
     *
     * @throws MalformedFileException naming the file if it is not a readable zip archive
     * @throws IOException if the file cannot be read
     */
    public static Npz open(Path file) throws IOException {
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException | EOFException | IllegalArgumentException e) {
            // The JDK reports a file shorter than a zip trailer with EOFException and malformed entry names
            // with IllegalArgumentException.
            throw new MalformedFileException(file.toString(), "not a readable zip archive: " + e.getMessage(), e);
        }
        try {
            List<String> names = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                ZipEntry entry = entries.nextElement();
                if (!entry.isDirectory()) {
                    String name = entry.getName();
                    names.add(name.endsWith(SUFFIX) ? name.substring(0, name.length() - SUFFIX.length()) : name);
                }
            }
            return new Npz(file, zip, Collections.unmodifiableList(names));
        } catch (RuntimeException e) {
            zip.close();
            throw new MalformedFileException(file.toString(), "not a readable zip archive: " + e.getMessage(), e);
        }
    }

    /** The archive file. */
    public Path file() {
        return file;
    }

    /** Entry names in archive order, without the {@code .npy} suffix. */
    public List<String> names() {
        return names;
    }

    /** Whether the archive has an entry {@code name} or {@code name + ".npy"}. */
    public boolean contains(String name) {
        return entry(name) != null;
    }

    /**
     * Reads one entry as an array.
     *
     * @param name the entry name, with or without {@code .npy}
     * @throws IllegalArgumentException naming the archive and the entry if there is no such entry
     * @throws MalformedFileException naming the archive and entry if the entry is not a well-formed, supported
     *     array or its compressed data is corrupt
     * @throws IOException if reading the archive fails
     */
    public NpyArray get(String name) throws IOException {
        ZipEntry entry = entry(name);
        if (entry == null) {
            throw new IllegalArgumentException(file + ": no entry '" + name + "' (entries: " + names + ")");
        }
        String source = file + ":" + entry.getName();
        long sizeBound = Long.MAX_VALUE;
        if (entry.getSize() >= 0) {
            sizeBound = entry.getSize();
        }
        long compressed = entry.getCompressedSize();
        if (compressed >= 0) {
            long expansionLimit = entry.getMethod() == ZipEntry.STORED
                    ? compressed
                    : compressed * MAX_DEFLATE_RATIO + DEFLATE_SLACK_BYTES;
            sizeBound = Math.min(sizeBound, expansionLimit);
        }
        try (InputStream in = zip.getInputStream(entry)) {
            return NpyArray.read(in, source, sizeBound, true);
        } catch (MalformedFileException e) {
            throw e;
        } catch (ZipException | EOFException e) {
            throw new MalformedFileException(source, "corrupt zip entry: " + e.getMessage(), e);
        }
    }

    /** Releases the archive. */
    @Override
    public void close() {
        try {
            zip.close();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot close", e);
        }
    }

    @Override
    public String toString() {
        return "Npz[" + file + ", " + names + "]";
    }

    private ZipEntry entry(String name) {
        ZipEntry entry = name.endsWith(SUFFIX) ? null : zip.getEntry(name + SUFFIX);
        if (entry == null) {
            entry = zip.getEntry(name);
        }
        return entry == null || entry.isDirectory() ? null : entry;
    }
}
