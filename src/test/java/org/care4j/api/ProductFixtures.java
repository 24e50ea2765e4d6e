package org.care4j.api;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.care4j.GoldenFile;
import org.care4j.cli.Care;
import org.care4j.io.SafeTensorsWriter;

/** Backbones, image folders and command-line runs that the model and command tests build on. */
public final class ProductFixtures {

    private ProductFixtures() {}

    /**
     * Sets PyTorch to one intra-op thread and returns the previous count, for {@link #restoreTorchThreads}.
     * The tests here run many tiny operations; on a shared, busy CPU, OpenMP threads waiting at barriers for a
     * descheduled sibling make each one many times slower (measured: 84 s instead of 6 s for one small task).
     */
    public static int oneTorchThread() {
        ai.djl.engine.Engine.getInstance();
        int previous = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
        return previous;
    }

    public static void restoreTorchThreads(int threads) {
        ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
    }

    /** The shared ViT-Ti/16 (read-only). */
    public static Path vitTiny() {
        return GoldenFile.shared().resolve("models/vit-tiny-patch16-224/model.safetensors").toAbsolutePath();
    }

    /**
     * A tiny random ViT in timm layout where the backbone's identity does not matter: depth 2, width 64 (one head
     * by the 64-per-head convention), patch 8, MLP 128, pre-trained at 16x16 pixels (a 2x2 grid). Different seeds
     * give different files.
     */
    public static Path tinyBackbone(Path file, long seed) throws IOException {
        Random rng = new Random(seed);
        int d = 64;
        int mlp = 128;
        int p = 8;
        SafeTensorsWriter w = new SafeTensorsWriter();
        w.add("patch_embed.proj.weight", new long[] {d, 3, p, p}, normal(rng, d * 3 * p * p, 0.05));
        w.add("patch_embed.proj.bias", new long[] {d}, normal(rng, d, 0.02));
        w.add("cls_token", new long[] {1, 1, d}, normal(rng, d, 0.02));
        w.add("pos_embed", new long[] {1, 5, d}, normal(rng, 5 * d, 0.02));
        for (int b = 0; b < 2; b++) {
            String n = "blocks." + b + ".";
            w.add(n + "norm1.weight", new long[] {d}, ones(d));
            w.add(n + "norm1.bias", new long[] {d}, new float[d]);
            w.add(n + "attn.qkv.weight", new long[] {3 * d, d}, normal(rng, 3 * d * d, 0.05));
            w.add(n + "attn.qkv.bias", new long[] {3 * d}, new float[3 * d]);
            w.add(n + "attn.proj.weight", new long[] {d, d}, normal(rng, d * d, 0.05));
            w.add(n + "attn.proj.bias", new long[] {d}, new float[d]);
            w.add(n + "norm2.weight", new long[] {d}, ones(d));
            w.add(n + "norm2.bias", new long[] {d}, new float[d]);
            w.add(n + "mlp.fc1.weight", new long[] {mlp, d}, normal(rng, mlp * d, 0.05));
            w.add(n + "mlp.fc1.bias", new long[] {mlp}, new float[mlp]);
            w.add(n + "mlp.fc2.weight", new long[] {d, mlp}, normal(rng, d * mlp, 0.05));
            w.add(n + "mlp.fc2.bias", new long[] {d}, new float[d]);
        }
        w.add("norm.weight", new long[] {d}, ones(d));
        w.add("norm.bias", new long[] {d}, new float[d]);
        Files.createDirectories(file.toAbsolutePath().getParent());
        w.write(file);
        return file;
    }

    /** A config for the tiny backbone: 16-pixel input, one epoch, small experts; fast enough for every test. */
    public static Path tinyConfig(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Files.writeString(file, "{\"image_size\": 16, \"tuned_epoch\": 1, \"crct_epochs\": 1,"
                + " \"batch_size\": 4, \"expert_dim\": 4, \"adapter_dim\": 8, \"workers\": 1}");
    }

    private static float[] normal(Random rng, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextGaussian() * std);
        }
        return v;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    /** Fully saturated colours that a frozen backbone separates after one epoch. */
    public static final Map<String, int[]> COLOURS = Map.of(
            "red", new int[] {230, 20, 20},
            "green", new int[] {20, 210, 30},
            "blue", new int[] {20, 30, 230},
            "yellow", new int[] {235, 225, 20},
            "purple", new int[] {150, 20, 170},
            "cyan", new int[] {20, 220, 225});

    /**
     * Writes {@code count} PNGs of 40x36 pixels per class into {@code folder/<class>/}: the class's colour with
     * seeded noise, different for every image.
     */
    public static Path colourFolder(Path folder, int count, long seed, String... classes) throws IOException {
        for (String c : classes) {
            int[] rgb = COLOURS.get(c);
            for (int i = 0; i < count; i++) {
                Random rng = new Random(seed * 7919 + c.hashCode() * 31L + i);
                BufferedImage im = new BufferedImage(40, 36, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 36; y++) {
                    for (int x = 0; x < 40; x++) {
                        int r = clamp(rgb[0] + rng.nextInt(61) - 30);
                        int g = clamp(rgb[1] + rng.nextInt(61) - 30);
                        int b = clamp(rgb[2] + rng.nextInt(61) - 30);
                        im.setRGB(x, y, r << 16 | g << 8 | b);
                    }
                }
                Path file = folder.resolve(c).resolve(c + "-" + i + ".png");
                Files.createDirectories(file.getParent());
                ImageIO.write(im, "png", file.toFile());
            }
        }
        return folder;
    }

    /** A PNG of {@code width x height} pixels of one grey. */
    public static Path png(Path file, int width, int height) throws IOException {
        BufferedImage im = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Files.createDirectories(file.toAbsolutePath().getParent());
        ImageIO.write(im, "png", file.toFile());
        return file;
    }

    /**
     * A PNG whose IHDR states {@code width x height} RGB pixels but that carries one row of data: a few hundred
     * bytes on disk, gigabytes if a decoder believed it.
     */
    public static Path pngHeader(Path file, int width, int height) throws IOException {
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
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Files.write(file, out.toByteArray());
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

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    /** Exit code and what a command printed. */
    public record Outcome(int code, String out, String err) {
        /** Standard error without the engine's start-up warnings, for exact comparisons. */
        public String errorLine() {
            return err.lines().filter(l -> !l.contains("CudaUtils") && !l.isBlank()).reduce((a, b) -> a + "\n" + b)
                    .orElse("");
        }
    }

    /** Runs {@code care ARGS} in this JVM and captures its output. */
    public static synchronized Outcome care(String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Care.execute(args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    /** Every file under a folder with its bytes, by relative path: a byte-exact snapshot. */
    public static Map<String, byte[]> snapshot(Path folder) throws IOException {
        Map<String, byte[]> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                files.put(folder.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return files;
    }

    /** Copies a folder tree. */
    public static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }
}
