package org.care4j.learn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import org.care4j.model.AdaptFormer;
import org.care4j.model.CosineClassifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Supervised tuning of an {@link AdaptFormer} and the newest head of a {@link CosineClassifier} on one task, the
 * training step of APER-Adapter (first task only) and of the fine-tuning baseline (every task). It runs through
 * {@link TrainingLoop} with {@link Sgd} (momentum 0.9) and a {@link CosineSchedule} from {@code init_lr} to
 * {@code min_lr} over {@code tuned_epoch} epochs, the budget CaRE gets for its first task.
 *
 * <p>Loss: CosFace with margin 0 on the cosine logits of the task's own classes, at scale s, which is plain
 * cross-entropy of {@code s * cos}; CaRE's main loss is the same term. APER's code instead learns the scale
 * (a "sigma" that starts at 1); a fixed s = 20 keeps the three trained methods on one loss.
 */
public final class AdapterTuning {

    private static final Logger LOG = LoggerFactory.getLogger(AdapterTuning.class);

    /**
     * Hyper-parameters, from the run config.
     *
     * @param epochs {@code tuned_epoch}
     * @param initLr {@code init_lr}
     * @param minLr {@code min_lr}, the floor of the cosine schedule
     * @param weightDecay SGD weight decay
     * @param scale cosine scale s
     * @param seed run seed (batch order, dropout, head initialisation)
     */
    public record Settings(int epochs, double initLr, double minLr, double weightDecay, double scale, long seed) {
        public Settings {
            if (epochs < 0 || initLr < 0 || minLr < 0 || weightDecay < 0 || scale <= 0) {
                throw new IllegalArgumentException("invalid adapter tuning settings " + this);
            }
        }
    }

    private AdapterTuning() {}

    /**
     * Trains every adapter parameter and the classifier's newest head, which must hold the task's classes, on
     * the task's training images; leaves all of them frozen afterwards.
     *
     * @param method the learner's name, for log lines
     */
    static void train(TaskData task, AdaptFormer network, CosineClassifier classifier, Settings settings,
            String method, NDManager manager) {
        List<NDArray> heads = classifier.heads();
        NDArray head = heads.get(heads.size() - 1);
        if (head.getShape().get(0) != task.classes()) {
            throw new IllegalArgumentException("the newest head has " + head.getShape().get(0) + " rows but task "
                    + task.task() + " has " + task.classes() + " classes");
        }
        int hi = classifier.classes();
        int lo = hi - task.classes();
        int first = task.firstClass();
        DataType type = network.backbone().dataType();
        List<NDArray> trainable = new ArrayList<>(network.parameters());
        trainable.add(head);
        trainable.forEach(p -> p.setRequiresGradient(true));
        CosineSchedule schedule = new CosineSchedule(settings.initLr(), settings.minLr(),
                Math.max(settings.epochs(), 1));
        try (NDManager stageManager = manager.newSubManager();
                Sgd sgd = new Sgd(trainable, 0.9, settings.weightDecay(), stageManager)) {
            for (int epoch = 0; epoch < settings.epochs(); epoch++) {
                double lr = schedule.at(epoch);
                long seed = settings.seed() * 1_000_003L + task.task() * 1009L + epoch;
                Engine.getInstance().setRandomSeed((int) seed);
                String where = method + " task " + (task.task() + 1) + " epoch " + (epoch + 1) + "/"
                        + settings.epochs();
                TrainingLoop.Epoch e = TrainingLoop.epoch(task.trainBatches(seed), task.trainImages(), sgd, lr,
                        null, (batch, m) -> {
                            NDArray images = batch.images(m);
                            if (images.getDataType() != type) {
                                images = images.toType(type, false);
                            }
                            NDArray labels = m.create(batch.labels()).sub(first);
                            NDArray logits = classifier.forward(network.forward(images, true))
                                    .get(":, " + lo + ":" + hi);
                            return CosFace.loss(logits, labels, settings.scale(), 0);
                        }, manager, where);
                LOG.info("{}: loss {} lr {} {} img/s", where, String.format("%.4f", e.meanLoss()),
                        String.format("%.5f", lr), String.format("%.1f", e.imagesPerSecond()));
            }
        } finally {
            trainable.forEach(p -> p.setRequiresGradient(false));
        }
    }
}
