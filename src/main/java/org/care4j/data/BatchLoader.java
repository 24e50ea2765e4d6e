package org.care4j.data;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds batches to the learner: decodes and transforms images on worker threads, a bounded number
 * of batches ahead of the consumer, and hands them out in order.
 *
 * <p>Each {@link #iterator()} is one epoch (epoch 0, 1, ... in call order; {@link #epoch(int)}
 * picks one). With shuffling, the epoch's order is a permutation drawn from (seed, epoch). Each
 * image's augmentation draws from a generator seeded by (seed, epoch, dataset index), so an epoch's
 * batches are the same whatever the number of workers or the prefetch depth, and differ from epoch
 * to epoch.
 *
 * <p>A {@link BadImageException} fails the epoch unless {@link Builder#skipBadImages(boolean)} is
 * set; then the image is logged once as a warning and left out of its batch. Close the loader to
 * stop its threads.
 */
public final class BatchLoader implements Iterable<Batch>, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BatchLoader.class);
    private static final AtomicInteger LOADERS = new AtomicInteger();

    private final ImageDataset dataset;
    private final IntUnaryOperator labelOf;
    private final int[] indices;
    private final ImageTransform transform;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final int prefetch;
    private final boolean skipBadImages;
    private final ExecutorService workers;
    private final Set<String> skipped = ConcurrentHashMap.newKeySet();
    private int nextEpoch;

    private BatchLoader(Builder b) {
        this.dataset = b.dataset;
        this.labelOf = b.labelOf;
        this.indices = b.indices != null ? b.indices.clone() : allIndices(b.dataset.size());
        this.transform = b.transform;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.dropLast = b.dropLast;
        this.prefetch = b.prefetch > 0 ? b.prefetch : 2 * b.workers;
        this.skipBadImages = b.skipBadImages;
        int id = LOADERS.incrementAndGet();
        AtomicInteger thread = new AtomicInteger();
        this.workers =
                Executors.newFixedThreadPool(
                        b.workers,
                        r -> {
                            Thread t =
                                    new Thread(
                                            r,
                                            "care-loader-" + id + "-" + thread.incrementAndGet());
                            t.setDaemon(true);
                            return t;
                        });
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Number of images per epoch (before any bad image is skipped). */
    public int size() {
        return indices.length;
    }

    /** Number of batches per epoch. */
    public int batchesPerEpoch() {
        return dropLast ? indices.length / batchSize : (indices.length + batchSize - 1) / batchSize;
    }

    /** Images skipped as unreadable so far, each named with its problem. */
    public List<String> skippedImages() {
        List<String> list = new ArrayList<>(skipped);
        Collections.sort(list);
        return list;
    }

    /** The next epoch (0 on the first call). */
    @Override
    public synchronized Iterator<Batch> iterator() {
        return epoch(nextEpoch++).iterator();
    }

    /** The batches of a given epoch. */
    public Iterable<Batch> epoch(int epoch) {
        return () -> new EpochIterator(epoch);
    }

    /** The dataset indices of an epoch, in the order they will be batched. */
    public int[] order(int epoch) {
        int[] order = indices.clone();
        if (shuffle) {
            SplittableRandom rng = new SplittableRandom(mix(seed, 0x5348_5546_464C_45L, epoch));
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        }
        return order;
    }

    @Override
    public void close() {
        workers.shutdownNow();
    }

    /** Produces batch {@code b} of an epoch's order on a worker thread. */
    private Batch makeBatch(int epoch, int[] order, int b) {
        int from = b * batchSize;
        int to = Math.min(order.length, from + batchSize);
        int s = transform.outputSize();
        int stride = 3 * s * s;
        float[] pixels = new float[(to - from) * stride];
        long[] labels = new long[to - from];
        int[] taken = new int[to - from];
        int n = 0;
        for (int k = from; k < to; k++) {
            int index = order[k];
            RgbImage image;
            try {
                image = dataset.image(index);
            } catch (BadImageException e) {
                if (!skipBadImages) {
                    throw e;
                }
                if (skipped.add(e.getMessage())) {
                    LOG.warn("skipping unreadable image {}", e.getMessage());
                }
                continue;
            }
            SplittableRandom rng = new SplittableRandom(mix(seed, epoch, index));
            transform.applyInto(image, rng, pixels, n * stride);
            labels[n] = labelOf.applyAsInt(index);
            taken[n] = index;
            n++;
        }
        if (n < to - from) {
            pixels = Arrays.copyOf(pixels, n * stride);
            labels = Arrays.copyOf(labels, n);
            taken = Arrays.copyOf(taken, n);
        }
        return new Batch(n, s, pixels, labels, taken);
    }

    /** One epoch: keeps up to {@code prefetch} batches in the works and returns them in order. */
    private final class EpochIterator implements Iterator<Batch> {
        private final int epoch;
        private final int[] order;
        private final int batches;
        private final Deque<Future<Batch>> pending = new ArrayDeque<>();
        private int submitted;
        private Batch next;

        EpochIterator(int epoch) {
            this.epoch = epoch;
            this.order = order(epoch);
            this.batches = batchesPerEpoch();
            topUp();
        }

        private void topUp() {
            while (pending.size() < prefetch && submitted < batches) {
                int b = submitted++;
                pending.add(workers.submit(() -> makeBatch(epoch, order, b)));
            }
        }

        @Override
        public boolean hasNext() {
            while (next == null && !pending.isEmpty()) {
                Batch batch = await(pending.poll());
                topUp();
                if (batch.size() > 0) {
                    next = batch;
                }
            }
            return next != null;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            Batch b = next;
            next = null;
            return b;
        }

        private Batch await(Future<Batch> f) {
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                cancelAll();
                throw new IllegalStateException("interrupted while waiting for a batch", e);
            } catch (ExecutionException e) {
                cancelAll();
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException r) {
                    throw r;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(cause);
            }
        }

        private void cancelAll() {
            for (Future<Batch> f : pending) {
                f.cancel(true);
            }
            pending.clear();
            submitted = batches;
        }
    }

    /** SplitMix64-style mixing of a seed with two stream coordinates. */
    static long mix(long seed, long a, long b) {
        long h = stafford(seed + 0x9E3779B97F4A7C15L);
        h = stafford(h ^ (a * 0xBF58476D1CE4E5B9L + 0x632BE59BD9B4E019L));
        return stafford(h ^ (b * 0x94D049BB133111EBL + 0x2545F4914F6CDD1DL));
    }

    private static long stafford(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static int[] allIndices(int n) {
        int[] a = new int[n];
        Arrays.setAll(a, i -> i);
        return a;
    }

    /**
     * Settings of a {@link BatchLoader}. Required: a source ({@link #benchmark} or {@link
     * #dataset}), a {@link #transform} and a {@link #batchSize}.
     */
    public static final class Builder {
        private ImageDataset dataset;
        private IntUnaryOperator labelOf;
        private int[] indices;
        private ImageTransform transform;
        private int batchSize;
        private boolean shuffle;
        private long seed;
        private boolean dropLast;
        private int workers = Runtime.getRuntime().availableProcessors();
        private int prefetch;
        private boolean skipBadImages;

        private Builder() {}

        /** Images of the benchmark's train or test split, labelled with their class positions. */
        public Builder benchmark(ContinualBenchmark benchmark, boolean train) {
            ImageDataset ds = train ? benchmark.train() : benchmark.test();
            this.dataset = ds;
            this.labelOf = i -> benchmark.position(ds, i);
            return this;
        }

        /** Images of a dataset with a label for each index (e.g. {@code dataset::label}). */
        public Builder dataset(ImageDataset dataset, IntUnaryOperator labelOf) {
            this.dataset = Objects.requireNonNull(dataset, "dataset");
            this.labelOf = Objects.requireNonNull(labelOf, "labelOf");
            return this;
        }

        /** The dataset indices to load (default: all). */
        public Builder indices(int[] indices) {
            this.indices = indices.clone();
            return this;
        }

        public Builder transform(ImageTransform transform) {
            this.transform = transform;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /** Shuffle each epoch with a permutation drawn from (seed, epoch) (default: no shuffle). */
        public Builder shuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Seed of the epoch orders and of every image's augmentation (default 0). */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Drop a last, smaller batch (default: keep it). */
        public Builder dropLast(boolean dropLast) {
            this.dropLast = dropLast;
            return this;
        }

        /** Decoding threads (default: available processors). */
        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        /** Batches decoded ahead of the consumer, at most (default: twice the workers). */
        public Builder prefetch(int prefetch) {
            this.prefetch = prefetch;
            return this;
        }

        /** Leave out unreadable images with a warning instead of failing (default: fail). */
        public Builder skipBadImages(boolean skip) {
            this.skipBadImages = skip;
            return this;
        }

        /**
         * @throws IllegalArgumentException naming the missing or invalid setting
         */
        public BatchLoader build() {
            if (dataset == null) {
                throw new IllegalArgumentException("BatchLoader needs a benchmark or a dataset");
            }
            if (transform == null) {
                throw new IllegalArgumentException("BatchLoader needs a transform");
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException(
                        "batchSize must be at least 1, got " + batchSize);
            }
            if (workers < 1) {
                throw new IllegalArgumentException("workers must be at least 1, got " + workers);
            }
            if (prefetch < 0) {
                throw new IllegalArgumentException(
                        "prefetch must not be negative, got " + prefetch);
            }
            if (indices != null) {
                for (int i : indices) {
                    if (i < 0 || i >= dataset.size()) {
                        throw new IllegalArgumentException(
                                "index " + i + " outside the dataset's 0.." + (dataset.size() - 1));
                    }
                }
            }
            return new BatchLoader(this);
        }
    }
}
