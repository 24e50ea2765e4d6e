package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batching, ordering, determinism and bad-image handling of the loader. */
class BatchLoaderTest {

    @TempDir Path tmp;

    /** Images differ per index (gradient seeded by the index), so a wrong pairing shows. */
    private static final ImageDataset VARIED =
            new FakeDataset(4, 0, 0, new int[37]) {
                @Override
                public RgbImage image(int i) {
                    return ResamplerTest.source(20 + i % 5, 18 + i % 3);
                }

                @Override
                public int label(int i) {
                    return i % 4;
                }
            };

    @Test
    void batchesAreIdenticalWhateverTheWorkerCountAndPrefetch() {
        List<Batch> one = collect(loader(1, 1).epoch(3));
        List<Batch> many = collect(loader(3, 5).epoch(3));
        assertEquals(one.size(), many.size());
        for (int b = 0; b < one.size(); b++) {
            assertArrayEquals(one.get(b).indices(), many.get(b).indices());
            assertArrayEquals(one.get(b).labels(), many.get(b).labels());
            assertArrayEquals(one.get(b).pixels(), many.get(b).pixels());
        }
    }

    @Test
    void everyEpochHasItsOwnRepeatableOrderAndAugmentation() {
        try (BatchLoader loader = loader(2, 2)) {
            List<Batch> first = collect(loader);
            List<Batch> second = collect(loader);
            List<Batch> firstAgain = collect(loader.epoch(0));
            assertFalse(Arrays.equals(first.get(0).indices(), second.get(0).indices()));
            assertArrayEquals(first.get(0).indices(), firstAgain.get(0).indices());
            assertArrayEquals(first.get(0).pixels(), firstAgain.get(0).pixels());
            int[] seen =
                    first.stream().flatMapToInt(b -> Arrays.stream(b.indices())).sorted().toArray();
            assertArrayEquals(java.util.stream.IntStream.range(0, 37).toArray(), seen);
        }
    }

    @Test
    void unshuffledBatchesFollowTheIndicesWithASmallerLastBatchUnlessDropped() {
        int[] idx = {5, 1, 9, 3, 7};
        try (BatchLoader keep =
                        BatchLoader.builder()
                                .dataset(VARIED, VARIED::label)
                                .indices(idx)
                                .transform(Transforms.imageFolderTest(8))
                                .batchSize(2)
                                .build();
                BatchLoader drop =
                        BatchLoader.builder()
                                .dataset(VARIED, VARIED::label)
                                .indices(idx)
                                .transform(Transforms.imageFolderTest(8))
                                .batchSize(2)
                                .dropLast(true)
                                .build()) {
            List<Batch> batches = collect(keep);
            assertEquals(3, keep.batchesPerEpoch());
            assertArrayEquals(new int[] {5, 1}, batches.get(0).indices());
            assertArrayEquals(new long[] {1, 1}, batches.get(0).labels());
            assertArrayEquals(new int[] {7}, batches.get(2).indices());
            assertEquals(3 * 8 * 8, batches.get(2).pixels().length);
            assertEquals(2, collect(drop).size());
        }
    }

    @Test
    void benchmarkLoadersLabelImagesWithTheirPositions() {
        ContinualBenchmark bench =
                ContinualBenchmark.of(
                        "toy",
                        FakeDataset.balanced(3, 2, 4),
                        FakeDataset.balanced(3, 1, 4),
                        ClassOrder.of(2, 0, 1),
                        new TaskSplit(3, 1, 1));
        try (BatchLoader loader =
                BatchLoader.builder()
                        .benchmark(bench, true)
                        .indices(bench.trainIndices(0))
                        .transform(Transforms.imageFolderTest(4))
                        .batchSize(8)
                        .build()) {
            Batch b = loader.iterator().next();
            assertArrayEquals(new int[] {4, 5}, b.indices());
            assertArrayEquals(new long[] {0, 0}, b.labels());
        }
    }

    @Test
    void corruptJpegFailsTheEpochOrIsSkippedWithAWarning() throws IOException {
        Path train = tmp.resolve("train");
        for (int i = 0; i < 3; i++) {
            TestImages.write(
                    train.resolve("a/" + i + ".jpg"), TestImages.gradient(40, 30, i), "jpeg");
        }
        byte[] good = Files.readAllBytes(train.resolve("a/1.jpg"));
        Path bad = Files.write(train.resolve("a/1.jpg"), Arrays.copyOf(good, good.length * 2 / 3));
        ImageFolderDataset ds = ImageFolderDataset.open(train);

        try (BatchLoader failing =
                BatchLoader.builder()
                        .dataset(ds, ds::label)
                        .transform(Transforms.imageFolderTest(16))
                        .batchSize(2)
                        .build()) {
            BadImageException e = assertThrows(BadImageException.class, () -> collect(failing));
            assertTrue(e.getMessage().startsWith(bad + ": corrupt JPEG"), e.getMessage());
        }
        try (BatchLoader skipping =
                BatchLoader.builder()
                        .dataset(ds, ds::label)
                        .transform(Transforms.imageFolderTest(16))
                        .batchSize(2)
                        .skipBadImages(true)
                        .build()) {
            List<Batch> batches = collect(skipping);
            assertArrayEquals(new int[] {0}, batches.get(0).indices());
            assertEquals(3 * 16 * 16, batches.get(0).pixels().length);
            assertArrayEquals(new int[] {2}, batches.get(1).indices());
            assertEquals(1, skipping.skippedImages().size());
            assertTrue(skipping.skippedImages().get(0).startsWith(bad.toString()));
        }
    }

    @Test
    void batchesBecomeNdArraysOfTheRightShapeAndType() {
        try (BatchLoader loader = loader(1, 1);
                NDManager manager = NDManager.newBaseManager()) {
            Batch b = loader.iterator().next();
            NDArray images = b.images(manager);
            NDArray labels = b.labels(manager);
            assertEquals(new Shape(8, 3, 16, 16), images.getShape());
            assertEquals(DataType.FLOAT32, images.getDataType());
            assertEquals(DataType.INT64, labels.getDataType());
            assertArrayEquals(b.pixels(), images.toFloatArray());
            assertArrayEquals(b.labels(), labels.toLongArray());
        }
    }

    @Test
    void invalidSettingsAreNamed() {
        IllegalArgumentException e =
                assertThrows(
                        IllegalArgumentException.class,
                        () ->
                                BatchLoader.builder()
                                        .dataset(VARIED, VARIED::label)
                                        .batchSize(2)
                                        .build());
        assertTrue(e.getMessage().contains("transform"));
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        BatchLoader.builder()
                                .dataset(VARIED, VARIED::label)
                                .transform(Transforms.imageFolderTest(8))
                                .build());
        assertThrows(
                IllegalArgumentException.class,
                () ->
                        BatchLoader.builder()
                                .dataset(VARIED, VARIED::label)
                                .transform(Transforms.imageFolderTest(8))
                                .batchSize(1)
                                .indices(new int[] {37})
                                .build());
    }

    private static BatchLoader loader(int workers, int prefetch) {
        return BatchLoader.builder()
                .dataset(VARIED, VARIED::label)
                .transform(Transforms.cifarTrain(16))
                .batchSize(8)
                .shuffle(true)
                .seed(1993)
                .workers(workers)
                .prefetch(prefetch)
                .build();
    }

    private static List<Batch> collect(Iterable<Batch> batches) {
        List<Batch> out = new ArrayList<>();
        batches.forEach(out::add);
        return out;
    }
}
