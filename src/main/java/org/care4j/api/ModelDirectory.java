package org.care4j.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.care4j.runtime.CareException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The on-disk life of a model folder: writing a new version so that a crash at any moment leaves either the old
 * or the new complete model, and recovering from a save that was cut short.
 *
 * <p>A save writes the whole new folder as a hidden sibling {@code .NAME.tmp-*}, flushes every file and the
 * folder to disk, then swaps it in with two renames: the old folder to {@code .NAME.old-*}, the new one to
 * {@code NAME}; the parent folder is flushed and the old version deleted. Between the two renames {@code NAME}
 * does not exist for a moment; {@link #recover} (called before every read and every save) then renames the old
 * version back. Leftover {@code .tmp-*} and {@code .old-*} siblings of an existing folder are only debris of an
 * interrupted save and are deleted by the next save; a read ignores them.
 *
 * <p>One writer at a time: two processes saving the same folder at once are not coordinated.
 */
final class ModelDirectory {

    private static final Logger LOG = LoggerFactory.getLogger(ModelDirectory.class);

    static final String MANIFEST = "manifest.json";
    static final String WEIGHTS = "model.safetensors";

    /** Writes the content of a new model version into an empty folder. */
    @FunctionalInterface
    interface Content {
        void writeInto(Path folder) throws IOException;
    }

    /**
     * Called with the name of each step of {@link #replace} once it is done ("written", "moved", "old-moved-away",
     * "new-in-place"); tests throw from it to stop a save where a crash could.
     */
    static volatile Consumer<String> afterStep = step -> { };

    private ModelDirectory() {}

    /**
     * Replaces (or creates) the model folder {@code dir} with what {@code content} writes, atomically as the class
     * description explains.
     *
     * @throws CareException if {@code dir} exists and is neither a model folder nor empty, or the disk refuses a
     *     write; {@code dir} is then as it was
     */
    static void replace(Path dir, Content content) {
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        if (parent == null) {
            throw new CareException(dir + ": cannot save a model as the root of the file system");
        }
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new CareException(parent + ": cannot create the folder: " + e.getMessage(), e);
        }
        recover(target);
        checkReplaceable(target);
        deleteLeftovers(target);
        Path fresh = sibling(target, "tmp");
        try {
            Files.createDirectory(fresh);
            content.writeInto(fresh);
            try (Stream<Path> files = Files.list(fresh)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    force(f, false);
                }
            }
            force(fresh, true);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(fresh);
            if (e instanceof CareException care) {
                throw care;
            }
            throw new CareException(target + ": cannot write the model: " + e.getMessage(), e);
        }
        afterStep.accept("written");
        try {
            if (!Files.exists(target)) {
                Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
                afterStep.accept("moved");
                force(parent, true);
                return;
            }
            Path old = sibling(target, "old");
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            afterStep.accept("old-moved-away");
            try {
                Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
                throw e;
            }
            afterStep.accept("new-in-place");
            force(parent, true);
            deleteQuietly(old);
        } catch (IOException e) {
            deleteQuietly(fresh);
            throw new CareException(target + ": cannot put the new model in place: " + e.getMessage(), e);
        }
    }

    /**
     * Finishes what an interrupted save left: when {@code dir} is missing but an old version of it was moved
     * aside, the old version is renamed back. Does nothing otherwise.
     */
    static void recover(Path dir) {
        Path target = dir.toAbsolutePath().normalize();
        if (Files.exists(target) || target.getParent() == null || !Files.isDirectory(target.getParent())) {
            return;
        }
        List<Path> old = leftovers(target, "old").stream()
                .filter(p -> Files.isRegularFile(p.resolve(MANIFEST)))
                .sorted(Comparator.comparing(ModelDirectory::modified).reversed())
                .toList();
        if (old.isEmpty()) {
            return;
        }
        try {
            Files.move(old.get(0), target, StandardCopyOption.ATOMIC_MOVE);
            force(target.getParent(), true);
            LOG.warn("{}: restored the model from {}, left by a save that was interrupted", target,
                    old.get(0).getFileName());
        } catch (FileAlreadyExistsException e) {
            // Another process restored it first.
        } catch (IOException e) {
            throw new CareException(target + ": an interrupted save left the model in " + old.get(0)
                    + ", and it cannot be renamed back: " + e.getMessage(), e);
        }
    }

    /** Lower-case hex SHA-256 of a file's bytes. */
    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Writes a small file and flushes it to disk. */
    static void writeFile(Path file, byte[] bytes) throws IOException {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
            out.force(true);
        }
    }

    private static void checkReplaceable(Path target) {
        if (!Files.exists(target) || Files.isRegularFile(target.resolve(MANIFEST))) {
            return;
        }
        if (!Files.isDirectory(target)) {
            throw new CareException(target + ": exists and is a file, not a model folder");
        }
        try (Stream<Path> entries = Files.list(target)) {
            if (entries.findAny().isPresent()) {
                throw new CareException(target + ": exists and is not a care4j model folder (no " + MANIFEST
                        + "); save into a new or empty folder");
            }
        } catch (IOException e) {
            throw new CareException(target + ": cannot list the folder: " + e.getMessage(), e);
        }
    }

    private static void deleteLeftovers(Path target) {
        for (String kind : List.of("tmp", "old")) {
            for (Path p : leftovers(target, kind)) {
                deleteQuietly(p);
            }
        }
    }

    private static List<Path> leftovers(Path target, String kind) {
        String prefix = "." + target.getFileName() + "." + kind + "-";
        try (Stream<Path> entries = Files.list(target.getParent())) {
            return entries.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static Path sibling(Path target, String kind) {
        return target.resolveSibling("." + target.getFileName() + "." + kind + "-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
    }

    private static java.nio.file.attribute.FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
        }
    }

    /** Flushes a file, or a folder's entries, to disk; some platforms cannot open folders, which is skipped. */
    private static void force(Path p, boolean folder) throws IOException {
        try (FileChannel channel = FileChannel.open(p, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            if (!folder) {
                throw e;
            }
        }
    }

    private static void deleteQuietly(Path p) {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(p)) {
            for (Path q : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(q);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: cannot delete ({}); it is safe to remove by hand", p, e.getMessage());
        }
    }
}
