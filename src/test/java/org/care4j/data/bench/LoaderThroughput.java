package org.care4j.data.bench;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.care4j.data.Batch;
import org.care4j.data.BatchLoader;
import org.care4j.data.Cifar100;
import org.care4j.data.ImageDataset;
import org.care4j.data.ImageFolderDataset;
import org.care4j.data.ImageTransform;
import org.care4j.data.Transforms;

/**
 * Measures the loader's decode + augment throughput (images/s) at 224x224: CIFAR-100 from the
 * shared archive and a generated JPEG ImageFolder (500x375 photos-like images, written to a
 * temporary folder and removed). Not a test; run by hand:
 *
 * <pre>
 * mvn -B -o -q test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *     org.care4j.data.bench.LoaderThroughput [../shared] [workers]
 * </pre>
 */
public final class LoaderThroughput {

    private LoaderThroughput() {}

    public static void main(String[] args) throws IOException {
        Path shared = Path.of(args.length > 0 ? args[0] : "../shared");
        int workers =
                args.length > 1
                        ? Integer.parseInt(args[1])
                        : Runtime.getRuntime().availableProcessors();
        System.out.printf(
                "cores %d, workers %d%n", Runtime.getRuntime().availableProcessors(), workers);

        long t0 = System.nanoTime();
        Cifar100 cifar = Cifar100.read(shared.resolve("data/cifar-100-binary.tar.gz"));
        System.out.printf(
                "CIFAR-100 read from .tar.gz in %.1f s%n", (System.nanoTime() - t0) / 1e9);
        measure(
                "CIFAR-100 train (RRC 256 bicubic, crop 224, flip, jitter)",
                cifar.train(),
                Transforms.cifarTrain(224),
                workers,
                3000);
        measure(
                "CIFAR-100 test  (resize 256 bicubic, crop 224)",
                cifar.test(),
                Transforms.cifarTest(224),
                workers,
                3000);

        Path dir = Files.createTempDirectory("care-jpeg-bench");
        try {
            int images = 600;
            writeJpegFolder(dir.resolve("train"), images, 500, 375);
            ImageFolderDataset folder = ImageFolderDataset.open(dir.resolve("train"));
            long bytes = 0;
            for (int i = 0; i < folder.size(); i++) {
                bytes += Files.size(folder.file(i));
            }
            System.out.printf(
                    "JPEG ImageFolder: %d images of 500x375, %.0f KB each on average%n",
                    images, bytes / 1024.0 / images);
            measure(
                    "JPEG 500x375 train (decode, RRC 224 bilinear, flip)",
                    folder,
                    Transforms.imageFolderTrain(224),
                    workers,
                    images);
            measure(
                    "JPEG 500x375 test  (decode, resize 256 bicubic, crop 224)",
                    folder,
                    Transforms.imageFolderTest(224),
                    workers,
                    images);
        } finally {
            try (var walk = Files.walk(dir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void measure(
            String name, ImageDataset ds, ImageTransform transform, int workers, int images) {
        int[] indices = new int[Math.min(images, ds.size())];
        for (int i = 0; i < indices.length; i++) {
            indices[i] = (int) ((long) i * ds.size() / indices.length);
        }
        try (BatchLoader loader =
                BatchLoader.builder()
                        .dataset(ds, ds::label)
                        .indices(indices)
                        .transform(transform)
                        .batchSize(64)
                        .shuffle(true)
                        .seed(1993)
                        .workers(workers)
                        .build()) {
            consume(loader, 0); // warm-up: JIT and decoder classes
            long start = System.nanoTime();
            int n = consume(loader, 1);
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf(
                    "%-62s %7.0f images/s (%d images, %.1f s)%n", name, n / seconds, n, seconds);
        }
    }

    private static int consume(BatchLoader loader, int epoch) {
        int n = 0;
        double sink = 0;
        for (Batch b : loader.epoch(epoch)) {
            n += b.size();
            sink += b.pixels()[0];
        }
        if (Double.isNaN(sink)) {
            throw new IllegalStateException();
        }
        return n;
    }

    /** Smooth colour fields with edges and noise, so JPEG sizes resemble photos'. */
    private static void writeJpegFolder(Path root, int images, int w, int h) throws IOException {
        SplittableRandom rng = new SplittableRandom(1);
        for (int i = 0; i < images; i++) {
            BufferedImage im = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
            int cx = rng.nextInt(w);
            int cy = rng.nextInt(h);
            int base = rng.nextInt(1 << 24);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int d = (int) Math.hypot(x - cx, y - cy);
                    int r = ((base >> 16) + d + rng.nextInt(24)) & 0xFF;
                    int g = ((base >> 8) + x / 3 + (d < 80 ? 90 : 0) + rng.nextInt(24)) & 0xFF;
                    int b = (base + y / 2 + rng.nextInt(24)) & 0xFF;
                    im.setRGB(x, y, (r << 16) | (g << 8) | b);
                }
            }
            Path file = root.resolve("class" + (i % 10)).resolve(String.format("%04d.jpg", i));
            Files.createDirectories(file.getParent());
            ImageIO.write(im, "jpeg", file.toFile());
        }
    }
}
