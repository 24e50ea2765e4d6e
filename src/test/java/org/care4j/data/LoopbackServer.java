package org.care4j.data;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A minimal HTTP/1.1 file server for tests, on 127.0.0.1 and an ephemeral port: one request per
 * connection, optional Range support (with ETag and If-Range), and responses that can be cut by
 * closing the socket mid-body, as a failing network would. It serves at most {@code MAX_REQUESTS}
 * requests, each connection times out after 30 s, and {@link #close()} stops it.
 */
final class LoopbackServer implements AutoCloseable {

    private static final int MAX_REQUESTS = 50;
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    private final ServerSocket socket;
    private final Thread acceptor;
    private final Map<String, Path> files = new ConcurrentHashMap<>();
    private final Map<String, String> etags = new ConcurrentHashMap<>();
    final List<String> rangeRequests = new CopyOnWriteArrayList<>();
    final List<String> ifRangeRequests = new CopyOnWriteArrayList<>();
    final AtomicInteger requests = new AtomicInteger();
    volatile boolean rangeSupport = true;

    /** The first {@code cuts} responses stop after {@code cutAfter} body bytes. */
    volatile int cuts;

    volatile long cutAfter;

    LoopbackServer() throws IOException {
        socket = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::acceptLoop, "loopback-http");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Serves {@code file} at {@code /name} with the given ETag. */
    URI serve(String name, Path file, String etag) {
        files.put(name, file);
        etags.put(name, etag);
        return URI.create("http://127.0.0.1:" + socket.getLocalPort() + "/" + name);
    }

    private void acceptLoop() {
        while (!socket.isClosed() && requests.get() < MAX_REQUESTS) {
            try {
                Socket s = socket.accept();
                Thread t = new Thread(() -> handle(s), "loopback-http-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket s) {
        try (s) {
            s.setSoTimeout(30_000);
            InputStream in = new BufferedInputStream(s.getInputStream());
            String requestLine = line(in);
            Map<String, String> headers = new HashMap<>();
            for (String h = line(in); !h.isEmpty(); h = line(in)) {
                int colon = h.indexOf(':');
                headers.put(
                        h.substring(0, colon).trim().toLowerCase(Locale.ROOT),
                        h.substring(colon + 1).trim());
            }
            requests.incrementAndGet();
            respond(requestLine.split(" ")[1].substring(1), headers, s.getOutputStream());
        } catch (IOException | RuntimeException e) {
            // the client went away or the test cut the response; nothing to do
        }
    }

    private void respond(String name, Map<String, String> headers, OutputStream out)
            throws IOException {
        Path file = files.get(name);
        if (file == null) {
            out.write(
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
            return;
        }
        long size = Files.size(file);
        String etag = etags.get(name);
        String range = headers.get("range");
        String ifRange = headers.get("if-range");
        if (range != null) {
            rangeRequests.add(range);
        }
        if (ifRange != null) {
            ifRangeRequests.add(ifRange);
        }
        Matcher m = range == null ? null : RANGE.matcher(range);
        boolean partial =
                rangeSupport
                        && m != null
                        && m.matches()
                        && (ifRange == null || ifRange.equals(etag));
        long start = partial ? Long.parseLong(m.group(1)) : 0;
        StringBuilder head = new StringBuilder();
        if (partial && start >= size) {
            head.append("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */")
                    .append(size)
                    .append("\r\nContent-Length: 0\r\n");
        } else if (partial) {
            head.append("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes ")
                    .append(start)
                    .append('-')
                    .append(size - 1)
                    .append('/')
                    .append(size)
                    .append("\r\nContent-Length: ")
                    .append(size - start)
                    .append("\r\n");
        } else {
            head.append("HTTP/1.1 200 OK\r\nContent-Length: ").append(size).append("\r\n");
        }
        head.append("ETag: ")
                .append(etag)
                .append("\r\nAccept-Ranges: ")
                .append(rangeSupport ? "bytes" : "none")
                .append("\r\nConnection: close\r\n\r\n");
        out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
        if (partial && start >= size) {
            return;
        }
        long limit = Long.MAX_VALUE;
        synchronized (this) {
            if (cuts > 0) {
                cuts--;
                limit = cutAfter;
            }
        }
        try (InputStream body = Files.newInputStream(file)) {
            body.skipNBytes(start);
            byte[] buffer = new byte[1 << 16];
            long sent = 0;
            for (int n = body.read(buffer); n >= 0 && sent < limit; n = body.read(buffer)) {
                int k = (int) Math.min(n, limit - sent);
                out.write(buffer, 0, k);
                sent += k;
            }
        }
        out.flush();
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed in the request head");
            }
            if (c != '\r') {
                b.write(c);
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
