package org.care4j.learn;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.care4j.config.RunConfig;
import org.care4j.data.Batch;
import org.care4j.data.BatchLoader;
import org.care4j.data.ContinualBenchmark;
import org.care4j.data.Datasets;
import org.care4j.data.Transforms;
import org.care4j.eval.ProcessMemory;
import org.care4j.eval.RunResults;
import org.care4j.eval.TaskEvaluation;
import org.care4j.eval.TaskRecord;
import org.care4j.io.SafeTensors;
import org.care4j.io.SafeTensorsWriter;
import org.care4j.model.AdaptFormer;
import org.care4j.model.BrMoeBlock.Routing;
import org.care4j.model.CareNetwork;
import org.care4j.model.VisionTransformer;
import org.care4j.runtime.CareException;
import org.care4j.runtime.NativeMemory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One continual-learning run, the loop every method shares: open the benchmark and the backbone, then for each
 * task learn it, evaluate on all classes seen so far (every {@code eval_every} tasks and after the last), and
 * write a checkpoint ({@link RunCheckpoint}) and {@code results.json}, each atomically, before the next task
 * starts. {@link #resume} continues a run from its last complete checkpoint and reaches the same results as
 * the uninterrupted run, because every random draw is seeded from the run seed and its place in the run.
 *
 * <p>Native memory: every batch runs in its own {@code NDScope} (training, statistics, alignment, evaluation,
 * optimizer steps), and what a task adds to the model is packed into per-block banks when the task ends, so
 * resident memory grows only by the model's new parameters and the class statistics.
 */
public final class ContinualRun {

    private static final Logger LOG = LoggerFactory.getLogger(ContinualRun.class);

    private final RunConfig config;
    private final Path out;

    public ContinualRun(RunConfig config, Path out) {
        this.config = config;
        this.out = out;
    }

    /**
     * Runs every task and returns the results, also written to {@code out/results.json}.
     *
     * @throws CareException when {@code out} already holds checkpoints (resume it, or choose another folder)
     */
    public RunResults execute() {
        if (RunCheckpoint.exists(out)) {
            throw new CareException(out + " already holds the checkpoints of a run; continue it with --resume "
                    + out + ", or give another --out");
        }
        return run(null);
    }

    /**
     * Continues a run from a checkpoint (see {@link RunCheckpoint#latest}) with the next task, appending to its
     * results.
     *
     * @throws CareException when this run's config differs from the checkpoint's in a key that matters, the
     *     backbone file or the class order differ, or the method cannot be resumed
     */
    public RunResults resume(RunCheckpoint checkpoint) {
        checkpoint.checkCompatible(config);
        return run(checkpoint);
    }

    private RunResults run(RunCheckpoint from) {
        long started = System.nanoTime();
        Path dataRoot = config.dataRoot().orElseThrow(() -> new CareException(config.source()
                + ": no data folder; give --data-root, the key \"data_root\" or the environment variable CARE_DATA"));
        Path backbonePath = config.backbone().orElseThrow(() -> new CareException(config.source()
                + ": no backbone; give --backbone, the key \"backbone\" or the environment variable CARE_BACKBONE"));
        long seed = config.seeds().get(0);
        ContinualBenchmark benchmark = Datasets.open(config.dataset(), dataRoot, seed, config.initCls(),
                config.increment(), config.shuffle());
        config.checkClassCount(benchmark.numClasses());
        int tasks = config.tasksToRun(benchmark.numClasses());
        createFolder(out);
        LOG.info("{} on {}: {} classes, {} tasks{}, class order seed {}", config.method().name().toLowerCase(),
                benchmark.name(), benchmark.numClasses(), benchmark.tasks(),
                tasks < benchmark.tasks() ? " (running " + tasks + ")" : "", seed);
        String backboneSha256 = RunCheckpoint.sha256(backbonePath);
        int[] classOrder = benchmark.order().order();
        RunResults results;
        int first;
        double earlierSeconds;
        if (from == null) {
            results = new RunResults(config, classOrder);
            first = 0;
            earlierSeconds = 0;
        } else {
            checkSameInputs(from, backbonePath, backboneSha256, classOrder);
            results = from.results();
            first = from.tasksCompleted();
            earlierSeconds = Double.isNaN(results.wallSeconds()) ? 0 : results.wallSeconds();
            results.putExtra("resumes", results.extra().getOrDefault("resumes", 0.0) + 1);
            LOG.info("resuming from {}: {} of {} tasks done", from.folder(), first, tasks);
        }
        double earlierPeak = results.peakMemoryMb();
        try (NDManager manager = NDManager.newBaseManager();
                SafeTensors weights = SafeTensors.open(backbonePath);
                Learner learner = from == null ? createLearner(weights, seed, manager)
                        : restoreLearner(from, weights, seed, manager)) {
            for (int t = first; t < tasks; t++) {
                long taskStart = System.nanoTime();
                BenchmarkTask data = new BenchmarkTask(benchmark, t);
                learner.learnTask(data);
                double trainSeconds = (System.nanoTime() - taskStart) / 1e9;
                TaskRecord.Builder record = TaskRecord.builder(t, positions(benchmark, t))
                        .trainImagesPerSecond(data.imagesServed() / Math.max(data.trainSeconds(), 1e-9));
                if (config.evaluatesAfter(t, tasks)) {
                    TaskEvaluation evaluation = evaluate(learner, benchmark, t, manager);
                    record.evaluation(evaluation);
                    LOG.info("{}", evaluation.summary());
                }
                // Direct buffers of closed tensors and the allocator's holes, or resident memory creeps up per task.
                NativeMemory.release();
                Runtime heap = Runtime.getRuntime();
                record.seconds((System.nanoTime() - taskStart) / 1e9).rssMb(ProcessMemory.residentMb())
                        .extra("train_seconds", trainSeconds)
                        .extra("heap_used_mb", (heap.totalMemory() - heap.freeMemory()) / (1024.0 * 1024.0))
                        .extra("heap_committed_mb", heap.totalMemory() / (1024.0 * 1024.0));
                results.addTask(record.build());
                results.setParametersAdded(learner.parametersAdded());
                results.setWallSeconds(earlierSeconds + (System.nanoTime() - started) / 1e9);
                results.setPeakMemoryMb(peak(earlierPeak));
                long checkpointStart = System.nanoTime();
                RunCheckpoint.write(out, t + 1, tasks, learner, config, classOrder, backboneSha256, results);
                results.write(out.resolve(RunResults.FILE_NAME));
                LOG.info("task {}/{} done in {} s (checkpoint {} s), {} train img/s, resident {} MB", t + 1,
                        tasks, String.format("%.1f", (System.nanoTime() - taskStart) / 1e9),
                        String.format("%.1f", (System.nanoTime() - checkpointStart) / 1e9),
                        String.format("%.1f", data.imagesServed() / Math.max(data.trainSeconds(), 1e-9)),
                        String.format("%.0f", ProcessMemory.residentMb()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        results.setWallSeconds(earlierSeconds + (System.nanoTime() - started) / 1e9);
        results.setPeakMemoryMb(peak(earlierPeak));
        results.write(out.resolve(RunResults.FILE_NAME));
        LOG.info("done: {}, last accuracy {} %, forgetting {}, {} s", averageAccuracyText(results),
                String.format("%.2f", results.lastAccuracy()), String.format("%.2f", results.forgetting()),
                String.format("%.0f", results.wallSeconds()));
        return results;
    }

    /**
     * "average accuracy 71.20 % over all 10 tasks", or, when {@code eval_every} skipped some, "... over the 4
     * evaluated tasks 5, 10, 15, 17 of 17": Ā is the mean over the tasks that were evaluated.
     */
    public static String averageAccuracyText(RunResults results) {
        int[] evaluated = results.accuracyMatrix().evaluatedTasks();
        int all = results.tasks().size();
        String which;
        if (evaluated.length == all) {
            which = "over all " + all + " tasks";
        } else {
            StringBuilder list = new StringBuilder();
            for (int i = 0; i < evaluated.length; i++) {
                if (i > 0) {
                    list.append(", ");
                }
                if (evaluated.length > 12 && i == 5) {
                    list.append("..., ");
                    i = evaluated.length - 4;
                }
                list.append(evaluated[i] + 1);
            }
            which = "over the " + evaluated.length + " evaluated tasks " + list + " of " + all;
        }
        return String.format("average accuracy %.2f %% %s", results.averageAccuracy(), which);
    }

    private static double peak(double earlier) {
        double now = ProcessMemory.peakResidentMb();
        return Double.isNaN(earlier) ? now : Math.max(earlier, now);
    }

    /** The backbone file and the dataset's class order must be those the run started with. */
    private void checkSameInputs(RunCheckpoint from, Path backbonePath, String backboneSha256, int[] classOrder) {
        if (!from.backboneSha256().equals(backboneSha256)) {
            throw new CareException(backbonePath + ": this backbone file differs from the one the run in "
                    + out + " started with (SHA-256 " + backboneSha256 + ", the checkpoint records "
                    + from.backboneSha256() + ")");
        }
        if (!Arrays.equals(from.classOrder(), classOrder)) {
            throw new CareException(config.dataset() + " in " + config.dataRoot().map(Path::toString).orElse("?")
                    + ": the class order differs from the one the run in " + out + " started with; the dataset"
                    + " has changed");
        }
    }

    private Learner createLearner(SafeTensors weights, long seed, NDManager manager) throws IOException {
        VisionTransformer vit = VisionTransformer.load(weights, "", 0, config.imageSize(), DataType.FLOAT32,
                manager);
        switch (config.method()) {
            case CARE: {
                CareNetwork net = CareNetwork.create(vit, careNetworkSettings(), seed, manager);
                return new CareLearner(net, careSettings(seed), careStatistics(vit.width()), Routing.SPARSE,
                        manager);
            }
            case SIMPLECIL:
                return new SimpleCilLearner(vit, manager);
            case APER_ADAPTER:
                return new AperAdapterLearner(AdaptFormer.create(vit, config.adapterDim(), 0.1f, seed, manager),
                        adapterTuning(seed), manager);
            case FINETUNE:
                return new FineTuneLearner(AdaptFormer.create(vit, config.adapterDim(), 0.1f, seed, manager),
                        adapterTuning(seed), manager);
            default:
                throw new CareException(config.source() + ": key \"method\": \""
                        + config.method().name().toLowerCase() + "\" is not available in this build");
        }
    }

    /** The learner as the checkpoint left it. */
    private Learner restoreLearner(RunCheckpoint from, SafeTensors weights, long seed, NDManager manager)
            throws IOException {
        if (config.method() != RunConfig.Method.CARE) {
            // Not yet: the baselines write their tensors to checkpoints but cannot be rebuilt from them.
            throw new CareException(out + ": resuming is implemented for method care only, not \""
                    + config.method().name().toLowerCase() + "\"");
        }
        VisionTransformer vit = VisionTransformer.load(weights, "", 0, config.imageSize(), DataType.FLOAT32,
                manager);
        try (SafeTensors in = SafeTensors.open(from.model())) {
            return CareLearner.readFrom(in, vit, careNetworkSettings(), careSettings(seed),
                    careStatistics(vit.width()), Routing.SPARSE, manager);
        }
    }

    private CareNetwork.Settings careNetworkSettings() {
        return new CareNetwork.Settings(config.expertDim(), config.adapterDim(), config.topkRouters(),
                config.topkExperts(), 0.1f);
    }

    private ClassStatistics careStatistics(int width) {
        return new ClassStatistics(width,
                config.caStorageEfficientMethod() == RunConfig.ClassStatistics.VARIANCE
                        ? ClassStatistics.Kind.VARIANCE : ClassStatistics.Kind.COVARIANCE,
                ClassStatistics.Storage.valueOf(config.covarianceStorage().name()), (double) 1e-4f);
    }

    private CareLearner.Settings careSettings(long seed) {
        ClassifierAlignment.Decay decay = !config.decay() ? ClassifierAlignment.Decay.NONE
                : config.decayMode() == RunConfig.DecayMode.POSITIVE ? ClassifierAlignment.Decay.POSITIVE
                : ClassifierAlignment.Decay.REFERENCE;
        return new CareLearner.Settings(config.tunedEpoch(), config.initLr(), config.minLr(), config.weightDecay(),
                config.batchSize(), config.scale(), config.margin(), config.auxCosLoss(), config.selfDistLoss(),
                config.crctEpochs(), config.caLr(), decay, config.iterPred(), seed);
    }

    /** The baselines' adapter training: the budget and loss scale of CaRE's first task. */
    private AdapterTuning.Settings adapterTuning(long seed) {
        return new AdapterTuning.Settings(config.tunedEpoch(), config.initLr(), config.minLr(), config.weightDecay(),
                config.scale(), seed);
    }

    private static int[] positions(ContinualBenchmark benchmark, int task) {
        int first = benchmark.split().firstClass(task);
        int[] p = new int[benchmark.split().classCount(task)];
        Arrays.setAll(p, i -> first + i);
        return p;
    }

    /** Top-1/top-5 on the test images of all seen classes, and routing diagnostics where the method routes. */
    private TaskEvaluation evaluate(Learner learner, ContinualBenchmark benchmark, int task, NDManager manager) {
        long start = System.nanoTime();
        int[] indices = limitPerClass(benchmark.testIndicesUpTo(task), i -> benchmark.position(benchmark.test(), i),
                config.testImagesPerClass());
        int seen = benchmark.split().firstClass(task) + benchmark.split().classCount(task);
        TaskEvaluation.Builder eval = TaskEvaluation.builder(task, seen, p -> benchmark.split().taskOf(p));
        try (BatchLoader loader = loader(benchmark, false, false, indices, 0);
                org.care4j.runtime.Progress progress = org.care4j.runtime.Progress.start(
                        "evaluating task " + (task + 1), indices.length)) {
            for (Batch batch : loader) {
                try (NDScope scope = new NDScope()) {
                    Prediction p = learner.predict(batch.images(manager));
                    int n = p.size();
                    int[] truth = new int[n];
                    int[][] ranked = new int[n][];
                    for (int i = 0; i < n; i++) {
                        truth[i] = (int) batch.labels()[i];
                        ranked[i] = p.top(i, 5);
                    }
                    eval.addPredictions(truth, ranked);
                    if (!p.routers().isEmpty()) {
                        eval.addRouting(truth, p.routers().toArray(new int[0][][]),
                                p.experts().toArray(new int[0][][]));
                    }
                }
                progress.advance(batch.size());
            }
        }
        return eval.seconds((System.nanoTime() - start) / 1e9).build();
    }

    /**
     * A loader over {@code indices} of the train or test split; the training transform (and shuffling) only
     * for training batches, the test transform for evaluation and for class statistics of training images.
     */
    private BatchLoader loader(ContinualBenchmark benchmark, boolean trainSplit, boolean training, int[] indices,
            long seed) {
        BatchLoader.Builder b = BatchLoader.builder().benchmark(benchmark, trainSplit).indices(indices)
                .transform(Transforms.forDataset(benchmark.name(), training, config.imageSize()))
                .batchSize(config.batchSize()).shuffle(training).seed(seed);
        if (config.workers() > 0) {
            b.workers(config.workers());
        }
        return b.build();
    }

    static int[] limitPerClass(int[] indices, java.util.function.IntUnaryOperator classOf, int perClass) {
        if (perClass <= 0) {
            return indices;
        }
        Map<Integer, Integer> taken = new HashMap<>();
        return Arrays.stream(indices).filter(i -> taken.merge(classOf.applyAsInt(i), 1, Integer::sum) <= perClass)
                .toArray();
    }

    private static void createFolder(Path folder) {
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new CareException("cannot create the folder " + folder + ": " + e.getMessage(), e);
        }
    }

    /** One task of a benchmark as a learner sees it, counting the training images it serves. */
    private final class BenchmarkTask implements TaskData {
        private final ContinualBenchmark benchmark;
        private final int task;
        private final int[] train;
        private long served;
        private double seconds;

        BenchmarkTask(ContinualBenchmark benchmark, int task) {
            this.benchmark = benchmark;
            this.task = task;
            this.train = benchmark.trainIndices(task, config.imagesPerClass());
        }

        @Override
        public int task() {
            return task;
        }

        @Override
        public int firstClass() {
            return benchmark.split().firstClass(task);
        }

        @Override
        public int classes() {
            return benchmark.split().classCount(task);
        }

        @Override
        public long trainImages() {
            return train.length;
        }

        @Override
        public Iterable<Batch> trainBatches(long seed) {
            return once(loader(benchmark, true, true, train, seed), true);
        }

        @Override
        public Iterable<Batch> featureBatches() {
            return once(loader(benchmark, true, false, train, 0), false);
        }

        long imagesServed() {
            return served;
        }

        double trainSeconds() {
            return seconds;
        }

        /** Iterates the loader once and closes it at the end; training passes count images and time. */
        private Iterable<Batch> once(BatchLoader loader, boolean training) {
            return () -> {
                java.util.Iterator<Batch> it = loader.iterator();
                long start = System.nanoTime();
                return new java.util.Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        boolean more = it.hasNext();
                        if (!more) {
                            if (training) {
                                seconds += (System.nanoTime() - start) / 1e9;
                            }
                            loader.close();
                        }
                        return more;
                    }

                    @Override
                    public Batch next() {
                        Batch b = it.next();
                        if (training) {
                            served += b.size();
                        }
                        return b;
                    }
                };
            };
        }
    }

}
