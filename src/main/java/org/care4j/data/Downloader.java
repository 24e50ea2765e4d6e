package org.care4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.care4j.runtime.CareException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads one file over HTTP(S), or copies it from a local path, so that the target appears only
 * complete and verified.
 *
 * <p>Bytes go to {@code <target>.part}. An interrupted transfer keeps that file; the next attempt
 * (within this call, up to {@code attempts} times, or a later call) asks for the rest with an HTTP
 * {@code Range} request, guarded by {@code If-Range} with the validator (ETag or Last-Modified) of
 * the response that began the file, so a changed file on the server restarts the download instead
 * of being spliced. A server that ignores the range answers 200 and the download restarts from
 * zero. When an MD5 is given, the finished file is checked; on a mismatch the partial file is
 * deleted (the next run starts over) and a {@link CareException} says so. Only then is {@code
 * .part} renamed to the target.
 */
public final class Downloader {

    private static final Logger LOG = LoggerFactory.getLogger(Downloader.class);
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Pattern UNSATISFIED_RANGE = Pattern.compile("bytes \\*/(\\d+)");

    /** Receives progress: bytes in the file so far, and the total or -1 when unknown. */
    @FunctionalInterface
    public interface Progress {
        void update(long bytes, long total);
    }

    private final int attempts;
    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;
    private final Progress progress;

    /**
     * @param attempts connections tried per call before giving up (each resumes the last)
     * @param connectTimeoutMillis connect timeout
     * @param readTimeoutMillis longest silence of the server while reading
     * @param progress progress listener (may be null)
     */
    public Downloader(
            int attempts, int connectTimeoutMillis, int readTimeoutMillis, Progress progress) {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, got " + attempts);
        }
        this.attempts = attempts;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.readTimeoutMillis = readTimeoutMillis;
        this.progress = progress;
    }

    /** Three attempts, 30 s to connect, 60 s of silence allowed, no progress output. */
    public Downloader() {
        this(3, 30_000, 60_000, null);
    }

    /** The partial file of a target. */
    public static Path partFile(Path target) {
        return target.resolveSibling(target.getFileName() + ".part");
    }

    private static Path validatorFile(Path target) {
        return target.resolveSibling(target.getFileName() + ".part.validator");
    }

    /**
     * Fetches {@code source} (http, https or file URI) to {@code target}.
     *
     * @param md5 expected MD5 in hex, or null to skip the check
     * @throws CareException when the source cannot be fetched or the checksum differs
     */
    public void fetch(URI source, Path target, String md5) {
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new CareException(
                    target.getParent() + ": cannot create folder: " + e.getMessage(), e);
        }
        String scheme =
                source.getScheme() == null ? "" : source.getScheme().toLowerCase(Locale.ROOT);
        switch (scheme) {
            case "http", "https" -> download(source, target);
            case "file" -> copy(Path.of(source), target);
            default ->
                    throw new CareException(
                            source + ": unsupported source (use http, https or a file)");
        }
        finish(source, target, md5);
    }

    private void copy(Path file, Path target) {
        if (!Files.isRegularFile(file)) {
            throw new CareException(file + ": source file not found");
        }
        try {
            Files.copy(file, partFile(target), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new CareException(
                    file + ": cannot copy to " + target.getParent() + ": " + e.getMessage(), e);
        }
    }

    private void download(URI source, Path target) {
        IOException last = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                transfer(source, target);
                return;
            } catch (IOException e) {
                last = e;
                LOG.warn(
                        "{}: attempt {} of {} failed: {}",
                        source,
                        attempt,
                        attempts,
                        e.getMessage());
            }
        }
        long have = sizeOrZero(partFile(target));
        throw new CareException(
                source
                        + ": download failed after "
                        + attempts
                        + " attempts ("
                        + last.getMessage()
                        + "); "
                        + have
                        + " bytes kept in "
                        + partFile(target)
                        + ", run the command again to resume",
                last);
    }

    /**
     * One connection: resumes or restarts the partial file and reads to the end of the response.
     */
    private void transfer(URI source, Path target) throws IOException {
        Path part = partFile(target);
        Path validatorFile = validatorFile(target);
        long have = sizeOrZero(part);
        String validator =
                have > 0 && Files.isRegularFile(validatorFile)
                        ? Files.readString(validatorFile, StandardCharsets.UTF_8).strip()
                        : "";
        HttpURLConnection c = open(source.toURL());
        if (have > 0) {
            c.setRequestProperty("Range", "bytes=" + have + "-");
            if (!validator.isEmpty()) {
                c.setRequestProperty("If-Range", validator);
            }
        }
        try {
            int code = c.getResponseCode();
            boolean append;
            long total;
            if (code == HttpURLConnection.HTTP_PARTIAL && have > 0) {
                Matcher m =
                        CONTENT_RANGE.matcher(String.valueOf(c.getHeaderField("Content-Range")));
                if (!m.matches() || Long.parseLong(m.group(1)) != have) {
                    Files.deleteIfExists(part);
                    throw new IOException(
                            "server sent an unexpected range "
                                    + c.getHeaderField("Content-Range")
                                    + " for bytes "
                                    + have
                                    + "-; will restart");
                }
                append = true;
                total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
                LOG.info("{}: resuming at byte {}", source, have);
            } else if (code == HttpURLConnection.HTTP_OK) {
                if (have > 0) {
                    LOG.info(
                            "{}: server sent the whole file (no range support or the file changed);"
                                + " restarting",
                            source);
                }
                append = false;
                total = c.getContentLengthLong();
                String newValidator = validatorOf(c);
                Files.writeString(validatorFile, newValidator, StandardCharsets.UTF_8);
            } else if (code == 416 && have > 0) {
                Matcher m =
                        UNSATISFIED_RANGE.matcher(
                                String.valueOf(c.getHeaderField("Content-Range")));
                if (m.matches() && Long.parseLong(m.group(1)) == have) {
                    return; // the partial file is already complete
                }
                Files.deleteIfExists(part);
                throw new IOException("server refused the range of the partial file; restarting");
            } else {
                throw new CareException(source + ": HTTP " + code + " " + c.getResponseMessage());
            }
            receive(c, part, append, append ? have : 0, total);
        } finally {
            c.disconnect();
        }
    }

    private void receive(HttpURLConnection c, Path part, boolean append, long start, long total)
            throws IOException {
        long length = c.getContentLengthLong();
        long received = 0;
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = c.getInputStream();
                OutputStream out =
                        Files.newOutputStream(
                                part,
                                StandardOpenOption.CREATE,
                                StandardOpenOption.WRITE,
                                append
                                        ? StandardOpenOption.APPEND
                                        : StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                out.write(buffer, 0, n);
                received += n;
                if (progress != null) {
                    progress.update(start + received, total);
                }
            }
        }
        if (length >= 0 && received < length) {
            throw new IOException(
                    "connection closed after " + received + " of " + length + " bytes");
        }
    }

    private HttpURLConnection open(URL url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.openConnection();
        c.setConnectTimeout(connectTimeoutMillis);
        c.setReadTimeout(readTimeoutMillis);
        c.setInstanceFollowRedirects(true);
        c.setRequestProperty("Accept-Encoding", "identity");
        return c;
    }

    private static String validatorOf(HttpURLConnection c) {
        String etag = c.getHeaderField("ETag");
        if (etag != null && !etag.startsWith("W/")) {
            return etag;
        }
        String modified = c.getHeaderField("Last-Modified");
        return modified == null ? "" : modified;
    }

    /** Checks the finished partial file and renames it into place. */
    private static void finish(URI source, Path target, String md5) {
        Path part = partFile(target);
        if (md5 != null) {
            String actual = md5(part);
            if (!actual.equalsIgnoreCase(md5)) {
                try {
                    Files.deleteIfExists(part);
                    Files.deleteIfExists(validatorFile(target));
                } catch (IOException e) {
                    LOG.warn("cannot delete {}: {}", part, e.getMessage());
                }
                throw new CareException(
                        source
                                + ": checksum mismatch for "
                                + target.getFileName()
                                + ": expected MD5 "
                                + md5.toLowerCase(Locale.ROOT)
                                + ", got "
                                + actual
                                + "; the download was removed, run the"
                                + " command again to start over");
            }
        }
        try {
            Files.move(
                    part,
                    target,
                    StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            Files.deleteIfExists(validatorFile(target));
        } catch (IOException e) {
            throw new CareException(
                    target + ": cannot move the finished download into place: " + e.getMessage(),
                    e);
        }
    }

    /** MD5 of a file, lower-case hex. */
    public static String md5(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("MD5");
            byte[] buffer = new byte[1 << 16];
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new CareException(file + ": cannot read: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long sizeOrZero(Path p) {
        try {
            return Files.isRegularFile(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
