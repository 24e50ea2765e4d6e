package org.care4j.learn;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.care4j.config.RunConfig;
import org.care4j.io.SafeTensorsWriter;

/**
 * A benchmark small enough for whole runs in a test: an ImageFolder dataset of {@value #CLASSES} classes of
 * 16 x 16 PNGs (each class its own colour plus noise, {@value #TRAIN} training and {@value #TEST} test images)
 * and a two-block random ViT in timm layout (width 64, one head, patch 8, MLP 128, 2 x 2 grid). Two classes
 * per task make four tasks.
 */
final class TinyBenchmark {

    static final int CLASSES = 8;
    static final int TRAIN = 4;
    static final int TEST = 2;
    static final int SIZE = 16;

    private TinyBenchmark() {}

    /** Writes the images under {@code root/train} and {@code root/test}. */
    static Path images(Path root, int size) throws IOException {
        Random rng = new Random(11);
        for (int c = 0; c < CLASSES; c++) {
            int r = 40 + 25 * c;
            int g = 230 - 25 * c;
            int b = (c % 3) * 100;
            for (String split : new String[] {"train", "test"}) {
                int n = split.equals("train") ? TRAIN : TEST;
                Path folder = root.resolve(split).resolve("class" + c);
                Files.createDirectories(folder);
                for (int i = 0; i < n; i++) {
                    BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
                    for (int y = 0; y < size; y++) {
                        for (int x = 0; x < size; x++) {
                            image.setRGB(x, y, (noisy(r, rng) << 16) | (noisy(g, rng) << 8) | noisy(b, rng));
                        }
                    }
                    ImageIO.write(image, "png", folder.resolve("img" + i + ".png").toFile());
                }
            }
        }
        return root;
    }

    private static int noisy(int v, Random rng) {
        return Math.max(0, Math.min(255, v + (int) (rng.nextGaussian() * 30)));
    }

    /** Writes a random two-block ViT with timm tensor names. */
    static Path backbone(Path file) throws IOException {
        int d = 64;
        int mlp = 128;
        int patch = 8;
        int positions = 1 + 2 * 2;
        Random rng = new Random(5);
        SafeTensorsWriter w = new SafeTensorsWriter();
        w.add("patch_embed.proj.weight", new long[] {d, 3, patch, patch}, normal(rng, d * 3 * patch * patch));
        w.add("patch_embed.proj.bias", new long[] {d}, normal(rng, d));
        w.add("cls_token", new long[] {1, 1, d}, normal(rng, d));
        w.add("pos_embed", new long[] {1, positions, d}, normal(rng, positions * d));
        for (int i = 0; i < 2; i++) {
            String p = "blocks." + i + ".";
            w.add(p + "norm1.weight", new long[] {d}, ones(d));
            w.add(p + "norm1.bias", new long[] {d}, normal(rng, d));
            w.add(p + "attn.qkv.weight", new long[] {3 * d, d}, normal(rng, 3 * d * d));
            w.add(p + "attn.qkv.bias", new long[] {3 * d}, normal(rng, 3 * d));
            w.add(p + "attn.proj.weight", new long[] {d, d}, normal(rng, d * d));
            w.add(p + "attn.proj.bias", new long[] {d}, normal(rng, d));
            w.add(p + "norm2.weight", new long[] {d}, ones(d));
            w.add(p + "norm2.bias", new long[] {d}, normal(rng, d));
            w.add(p + "mlp.fc1.weight", new long[] {mlp, d}, normal(rng, mlp * d));
            w.add(p + "mlp.fc1.bias", new long[] {mlp}, normal(rng, mlp));
            w.add(p + "mlp.fc2.weight", new long[] {d, mlp}, normal(rng, d * mlp));
            w.add(p + "mlp.fc2.bias", new long[] {d}, normal(rng, d));
        }
        w.add("norm.weight", new long[] {d}, ones(d));
        w.add("norm.bias", new long[] {d}, normal(rng, d));
        w.write(file);
        return file;
    }

    private static float[] normal(Random rng, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rng.nextGaussian() * 0.1);
        }
        return v;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, 1f);
        return v;
    }

    /** The config of a four-task CaRE run on these inputs, as JSON text. */
    static String configJson(Path data, Path backbone, int imageSize, int maxTasks) {
        return """
                {
                  "prefix": "tiny",
                  "dataset": "imagefolder",
                  "data_root": "%s",
                  "backbone": "%s",
                  "shuffle": true,
                  "init_cls": 2,
                  "increment": 2,
                  "seed": [1993],
                  "tuned_epoch": 2,
                  "init_lr": 0.01,
                  "batch_size": 4,
                  "crct_epochs": 1,
                  "ca_lr": 0.005,
                  "ca_storage_efficient_method": "covariance",
                  "covariance_storage": "half",
                  "decay": true,
                  "iter_pred": false,
                  "image_size": %d,
                  "max_tasks": %d,
                  "workers": 1,
                  "threads": 1
                }
                """.formatted(data.toAbsolutePath(), backbone.toAbsolutePath(), imageSize, maxTasks);
    }

    static RunConfig config(Path data, Path backbone, int maxTasks) {
        return RunConfig.parse(configJson(data, backbone, SIZE, maxTasks), "tiny.json", Path.of(""));
    }
}
