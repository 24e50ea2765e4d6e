package org.care4j.learn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.care4j.data.Batch;
import org.care4j.model.BrMoeBlock;
import org.care4j.model.BrMoeBlock.Routing;
import org.care4j.model.CareNetwork;
import org.care4j.model.Expert;
import org.care4j.runtime.NativeMemory;
import org.care4j.runtime.Scalar;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CaRE (CARE-SPEC sections 4 to 6): per task, a new expert, router and class perceptron in every block, trained
 * with the CosFace and auxiliary losses; for tasks after the first, two stages with shared-expert anchoring,
 * each followed by class statistics and classifier alignment; prediction by single-pass task-agnostic routing,
 * or iteratively over task hypotheses.
 */
public final class CareLearner implements Learner {

    private static final Logger LOG = LoggerFactory.getLogger(CareLearner.class);

    /** Anchoring weight of the frozen shared-expert copy (the paper's mu). */
    static final double ANCHOR = 0.999;

    /**
     * Training hyper-parameters of CARE-SPEC sections 4 and 5.
     *
     * @param epochs {@code tuned_epoch}
     * @param initLr {@code init_lr}
     * @param minLr {@code min_lr} (task 0)
     * @param weightDecay SGD weight decay
     * @param batchSize images per batch; alignment draws 5x this per class
     * @param scale cosine scale s
     * @param margin CosFace margin m
     * @param auxCosine {@code aux_cos_loss}
     * @param selfDistillation {@code self_dist_loss}
     * @param alignEpochs {@code crct_epochs}
     * @param alignLr {@code ca_lr}
     * @param decay mean shrinking in alignment
     * @param iterative {@code iter_pred}
     * @param seed run seed
     */
    public record Settings(int epochs, double initLr, double minLr, double weightDecay, int batchSize,
            double scale, double margin, boolean auxCosine, boolean selfDistillation, int alignEpochs,
            double alignLr, ClassifierAlignment.Decay decay, boolean iterative, long seed) {}

    private final CareNetwork network;
    private final Settings settings;
    private final ClassStatistics statistics;
    private final Routing routing;
    private final NDManager manager;
    private final CareObjective objective;
    private java.util.function.Consumer<EpochEvent> listener = e -> { };
    private int known;

    /**
     * One finished training epoch.
     *
     * @param task task index
     * @param stage 0 for task 0's single stage, else 1 or 2
     * @param epoch epoch within the stage, from 0
     * @param learningRate the rate used in that epoch
     * @param loss mean batch loss
     * @param imagesPerSecond training throughput
     */
    public record EpochEvent(int task, int stage, int epoch, double learningRate, double loss,
            double imagesPerSecond) {}

    /** Calls {@code listener} after every training epoch, while the stage's parameters are still trainable. */
    public void onEpoch(java.util.function.Consumer<EpochEvent> listener) {
        this.listener = listener;
    }

    public CareLearner(CareNetwork network, Settings settings, ClassStatistics statistics, Routing routing,
            NDManager manager) {
        this.network = network;
        this.settings = settings;
        this.statistics = statistics;
        this.routing = routing;
        this.manager = manager;
        this.objective = new CareObjective(settings.scale(), settings.margin(), settings.auxCosine(),
                settings.selfDistillation());
        this.known = network.classifier().classes();
    }

    @Override
    public String method() {
        return "care";
    }

    public CareNetwork network() {
        return network;
    }

    public ClassStatistics statistics() {
        return statistics;
    }

    @Override
    public void learnTask(TaskData task) {
        if (task.firstClass() != known) {
            throw new IllegalArgumentException("task " + task.task() + " starts at class " + task.firstClass()
                    + " but " + known + " classes are known");
        }
        int t = task.task();
        network.beginTask(task.classes());
        List<NDArray> trainable = network.trainableParameters();
        int epochs = settings.epochs();
        if (t == 0) {
            runStage(task, trainable, 0, epochs, new CosineSchedule(settings.initLr(), settings.minLr(), epochs),
                    false);
            addStatistics(task);
        } else {
            int half = epochs / 2;
            CosineSchedule first = new CosineSchedule(settings.initLr(), 0, epochs);
            runStage(task, trainable, 1, half, first, true);
            addStatistics(task);
            align(task);
            double last = first.at(half);
            runStage(task, trainable, 2, epochs - half, new CosineSchedule(last, 0, epochs - half), true);
            addStatistics(task);
            align(task);
        }
        trainable.forEach(p -> p.setRequiresGradient(false));
        network.endTask();
        known += task.classes();
    }

    /**
     * One training stage: a fresh SGD, and with {@code anchored} a frozen copy of each shared expert that every
     * batch is pulled towards ({@code shared = 0.999 * copy + 0.001 * shared}).
     */
    private void runStage(TaskData task, List<NDArray> trainable, int stage, int epochs, CosineSchedule schedule,
            boolean anchored) {
        trainable.forEach(p -> p.setRequiresGradient(true));
        List<BrMoeBlock> blocks = network.blocks();
        List<Expert> anchors = new ArrayList<>();
        try (NDManager stageManager = manager.newSubManager();
                Sgd sgd = new Sgd(trainable, 0.9, settings.weightDecay(), stageManager)) {
            if (anchored) {
                blocks.forEach(b -> anchors.add(b.shared().copy(stageManager)));
            }
            int t = task.task();
            int first = task.firstClass();
            String taskName = "task " + (t + 1) + (stage == 0 ? "" : " stage " + stage);
            for (int epoch = 0; epoch < epochs; epoch++) {
                double lr = schedule.at(epoch);
                long seed = seed(t, stage, epoch);
                Engine.getInstance().setRandomSeed((int) seed);
                String where = taskName + " epoch " + (epoch + 1) + "/" + epochs;
                TrainingLoop.Epoch e = TrainingLoop.epoch(task.trainBatches(seed), task.trainImages(), sgd, lr,
                        anchored ? () -> {
                            for (int i = 0; i < blocks.size(); i++) {
                                blocks.get(i).shared().anchorTo(anchors.get(i), ANCHOR);
                            }
                        } : null,
                        (batch, m) -> {
                            NDArray images = images(batch, m);
                            NDArray labels = m.create(batch.labels()).sub(first);
                            CareNetwork.Output out = network.forward(images, t, routing, true);
                            NDArray logits = network.logits(out.features())
                                    .get(":, " + first + ":" + (first + task.classes()));
                            return objective.compute(logits, out.perceptronLogits(), labels).total();
                        }, manager, where);
                listener.accept(new EpochEvent(t, stage, epoch, lr, e.meanLoss(), e.imagesPerSecond()));
                LOG.info("{}: loss {} lr {} {} img/s", where, String.format("%.4f", e.meanLoss()),
                        String.format("%.5f", lr), String.format("%.1f", e.imagesPerSecond()));
            }
        }
    }

    private NDArray images(Batch batch, NDManager m) {
        NDArray x = batch.images(m);
        DataType type = network.backbone().dataType();
        return x.getDataType() == type ? x : x.toType(type, false);
    }

    private long seed(int task, int stage, int epoch) {
        return settings.seed() * 1_000_003L + task * 1009L + stage * 101L + epoch;
    }

    /** Mean and covariance of each new class's features (known-task path, test transform). */
    private void addStatistics(TaskData task) {
        int width = network.backbone().width();
        Map<Integer, List<float[]>> perClass = new HashMap<>();
        for (Batch batch : task.featureBatches()) {
            try (NDScope scope = new NDScope()) {
                NDArray f = network.forward(images(batch, manager), task.task(), routing, false).features();
                float[] values = f.toType(DataType.FLOAT32, false).toFloatArray();
                long[] labels = batch.labels();
                for (int i = 0; i < labels.length; i++) {
                    float[] row = new float[width];
                    System.arraycopy(values, i * width, row, 0, width);
                    perClass.computeIfAbsent((int) labels[i], k -> new ArrayList<>()).add(row);
                }
            }
        }
        for (int c = task.firstClass(); c < task.firstClass() + task.classes(); c++) {
            List<float[]> rows = perClass.get(c);
            if (rows == null || rows.size() < 2) {
                throw new org.care4j.runtime.CareException("class at position " + c + " has "
                        + (rows == null ? 0 : rows.size()) + " training images; statistics need at least 2");
            }
            double[] flat = new double[rows.size() * width];
            for (int i = 0; i < rows.size(); i++) {
                for (int j = 0; j < width; j++) {
                    flat[i * width + j] = rows.get(i)[j];
                }
            }
            statistics.add(c, flat, rows.size());
        }
    }

    private void align(TaskData task) {
        int total = task.firstClass() + task.classes();
        double[] scales = ClassifierAlignment.meanScales(task.firstClass(), total, task.task(), settings.decay());
        ClassifierAlignment.run(network.classifier(), statistics, total, scales, settings.alignEpochs(),
                5 * settings.batchSize(), settings.alignLr(), settings.scale(), seed(task.task(), 9, 0), manager);
        // Alignment turns every seen class's statistics into tensors (direct buffers until a collection).
        NativeMemory.release();
    }

    @Override
    public Prediction predict(NDArray images) {
        Scores s = scores(network, images, settings.iterative(), routing, settings.scale());
        return new Prediction(s.scores(), network.classifier().classes(), s.routers(), s.experts());
    }

    /**
     * Prediction scores (CARE-SPEC section 6) with everything the reference's evaluator exposes.
     *
     * @param scores {@code [B, C]}: softmax(s * single-pass logits), plus with iterative prediction
     *     softmax(s * logits of the lowest-entropy task hypothesis)
     * @param entropies per hypothesis, per sample ({@code [T][B]}; empty when not iterative)
     * @param chosenTask per sample, the lowest-entropy hypothesis (-1 when not iterative)
     */
    public record Scores(float[] scores, double[][] entropies, int[] chosenTask, List<int[][]> routers,
            List<int[][]> experts) {}

    /** Scores of {@code images} under the network's current tasks. */
    public static Scores scores(CareNetwork network, NDArray images, boolean iterative, Routing routing,
            double scale) {
        try (NDScope scope = new NDScope()) {
            CareNetwork.Output single = network.forward(images, -1, routing, false);
            NDArray total = Scalar.times(network.logits(single.features()), scale).softmax(1);
            int tasks = network.tasks();
            int b = (int) images.getShape().get(0);
            double[][] entropies = new double[0][];
            int[] chosen = new int[b];
            java.util.Arrays.fill(chosen, -1);
            if (iterative && tasks > 1) {
                entropies = new double[tasks][];
                List<NDArray> probabilities = new ArrayList<>();
                for (int t = 0; t < tasks; t++) {
                    NDArray p = Scalar.times(network.logits(network.forward(images, t, routing, false).features()),
                            scale).softmax(1);
                    probabilities.add(p);
                    entropies[t] = p.mul(p.add(1e-10).log()).sum(new int[] {1}).neg()
                            .toType(DataType.FLOAT64, false).toDoubleArray();
                }
                long[] pick = new long[b];
                for (int i = 0; i < b; i++) {
                    int best = 0;
                    for (int t = 1; t < tasks; t++) {
                        if (entropies[t][i] < entropies[best][i]) {
                            best = t;
                        }
                    }
                    chosen[i] = best;
                    pick[i] = (long) best * b + i;
                }
                NDArray stacked = ai.djl.ndarray.NDArrays.stack(new ai.djl.ndarray.NDList(probabilities), 0)
                        .reshape(tasks * b, -1);
                total = total.add(stacked.get(images.getManager().create(pick)));
            }
            float[] values = total.toType(DataType.FLOAT32, false).toFloatArray();
            return new Scores(values, entropies, chosen, single.routers(), single.experts());
        }
    }

    @Override
    public long parametersAdded() {
        long shared = 0;
        for (BrMoeBlock b : network.blocks()) {
            for (NDArray p : b.shared().parameters().values()) {
                shared += p.size();
            }
        }
        return network.taskParameterCount() + shared;
    }

    /**
     * Writes everything this learner has learned: the BR-MoE and classifier tensors under reference names,
     * the class statistics, and the class count of every task (metadata {@code care.classes_per_task}).
     */
    public void writeTo(org.care4j.io.SafeTensorsWriter out) {
        checkNotLearning();
        // The state holds views of the packed banks; the writer copies them, and the scope closes the views so
        // that they cannot keep a bank alive after it grows.
        try (NDScope scope = new NDScope()) {
            network.state().forEach(out::add);
        }
        writeBookkeeping(out);
    }

    /**
     * Writes what {@link #writeTo} writes straight to {@code file}, reading each tensor from native memory only
     * while the file is written, so that a model of hundreds of tasks is never copied whole onto the heap.
     *
     * @param metadata extra {@code __metadata__} entries, written first
     */
    public void write(java.nio.file.Path file, Map<String, String> metadata) throws java.io.IOException {
        checkNotLearning();
        try (NDScope scope = new NDScope()) {
            org.care4j.io.SafeTensorsWriter out = new org.care4j.io.SafeTensorsWriter();
            metadata.forEach(out::metadata);
            network.state().forEach(out::addLater);
            writeBookkeeping(out);
            out.write(file);
        }
    }

    private void checkNotLearning() {
        if (network.learning()) {
            throw new IllegalStateException("cannot save while task " + (network.tasks() - 1) + " is learned");
        }
    }

    private void writeBookkeeping(org.care4j.io.SafeTensorsWriter out) {
        int[] classes = network.classifier().heads().stream().mapToInt(h -> (int) h.getShape().get(0)).toArray();
        out.metadata("care.classes_per_task", java.util.Arrays.toString(classes));
        statistics.writeTo(out);
    }

    /**
     * Rebuilds a learner from what {@link #writeTo} wrote, on a backbone of the same architecture.
     *
     * @param statistics empty statistics of the kind and storage the file was written with
     */
    public static CareLearner readFrom(org.care4j.io.SafeTensors in, org.care4j.model.VisionTransformer backbone,
            CareNetwork.Settings network, Settings settings, ClassStatistics statistics, Routing routing,
            NDManager manager) {
        String counts = in.metadata().get("care.classes_per_task");
        if (counts == null) {
            throw new org.care4j.runtime.CareException(in.file() + ": no care.classes_per_task metadata; "
                    + "not a care4j CaRE state file");
        }
        int[] classes;
        try {
            String body = counts.replaceAll("[\\[\\] ]", "");
            classes = body.isEmpty() ? new int[0]
                    : java.util.Arrays.stream(body.split(",")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new org.care4j.runtime.CareException(in.file() + ": care.classes_per_task is not a list of "
                    + "integers: " + counts);
        }
        DataType type = backbone.dataType();
        CareNetwork net = classes.length == 0 ? CareNetwork.create(backbone, network, settings.seed(), manager)
                : CareNetwork.fromState(backbone, network, classes, false, name -> {
                    if (!in.contains(name)) {
                        throw new org.care4j.runtime.CareException(in.file() + ": missing tensor '" + name + "'");
                    }
                    return in.toNDArray(manager, name, type);
                }, settings.seed(), manager);
        statistics.readFrom(in);
        return new CareLearner(net, settings, statistics, routing, manager);
    }

    @Override
    public Map<String, NDArray> state() {
        return new LinkedHashMap<>(network.state());
    }

    @Override
    public void close() {
        network.close();
    }
}
