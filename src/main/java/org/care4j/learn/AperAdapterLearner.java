package org.care4j.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.care4j.model.AdaptFormer;
import org.care4j.model.CosineClassifier;
import org.care4j.model.VisionTransformer;

/**
 * APER with an adapter ("APER-Adapter"): on the first task only, an {@link AdaptFormer} (one adapter in every
 * block) and a cosine head over that task's classes train with {@link AdapterTuning}; then the adapter is frozen
 * for good and the head is dropped. Every class of every task, the first included, gets a prototype: the mean of
 * {@code concat(f_frozen(x), f_adapted(x))}, {@code [2d]}, over its training images (test transform). Prediction is
 * the cosine nearest prototype ({@link PrototypeClassifier}); later tasks only add prototypes.
 *
 * <p>Scores are the cosines {@code [B, C]}. {@link #state()} holds {@code prototypes: [C, 2d]} and the adapter
 * as {@code adapter.blocks.<l>.<name>}.
 */
public final class AperAdapterLearner implements Learner {

    private final AdaptFormer adapted;
    private final AdapterTuning.Settings settings;
    private final PrototypeClassifier prototypes;
    private final FeatureMemo memo;
    private final NDManager manager;
    private boolean tuned;

    /**
     * @param adapted the backbone with fresh adapters; this learner owns and closes the adapters
     */
    public AperAdapterLearner(AdaptFormer adapted, AdapterTuning.Settings settings, NDManager manager) {
        this.adapted = adapted;
        this.settings = settings;
        this.manager = manager;
        this.prototypes = new PrototypeClassifier(2 * adapted.backbone().width(), manager);
        this.memo = new FeatureMemo(this::features, 2 * adapted.backbone().width(), FeatureMemo.DEFAULT_BYTES);
    }

    @Override
    public String method() {
        return "aper_adapter";
    }

    /** The backbone with its adapters, trainable during the first task only. */
    public AdaptFormer network() {
        return adapted;
    }

    /** Whether the adapter has been trained, and is therefore frozen. */
    public boolean adapterFrozen() {
        return tuned;
    }

    @Override
    public void learnTask(TaskData task) {
        if (task.firstClass() != prototypes.classes()) {
            throw new IllegalArgumentException("task " + task.task() + " starts at class " + task.firstClass()
                    + " but " + prototypes.classes() + " classes are known");
        }
        if (!tuned) {
            VisionTransformer vit = adapted.backbone();
            try (NDManager headManager = manager.newSubManager()) {
                CosineClassifier head = new CosineClassifier(vit.width(), vit.dataType(), headManager);
                head.addHead(task.classes(), new Random(settings.seed()));
                AdapterTuning.train(task, adapted, head, settings, method(), manager);
            }
            adapted.setTrainable(false);
            tuned = true;
        }
        prototypes.addTask(task, this::features);
    }

    /** {@code concat(frozen feature, adapted feature)}: {@code [B, 3, S, S] -> [B, 2d]}. */
    private NDArray features(NDArray images) {
        VisionTransformer vit = adapted.backbone();
        NDArray x = SimpleCilLearner.as(images, vit.dataType());
        return vit.forward(x, null).concat(adapted.forward(x, false), 1);
    }

    @Override
    public Prediction predict(NDArray images) {
        if (!tuned) {
            throw new IllegalStateException("no class learned yet");
        }
        try (NDScope scope = new NDScope()) {
            // Frozen and adapted features both stay fixed once the first task is learned (and nothing is
            // predicted before), so each test image's feature is computed once per run.
            float[] scores = prototypes.scores(memo.features(images)).toType(DataType.FLOAT32, false)
                    .toFloatArray();
            return new Prediction(scores, prototypes.classes(), List.of(), List.of());
        }
    }

    /** The adapter and the prototypes; the first task's head is dropped after training and not counted. */
    @Override
    public long parametersAdded() {
        return adapted.parameterCount() + prototypes.parameterCount();
    }

    @Override
    public Map<String, NDArray> state() {
        Map<String, NDArray> s = new LinkedHashMap<>();
        if (prototypes.prototypes() != null) {
            s.put("prototypes", prototypes.prototypes());
        }
        s.putAll(adapted.state("adapter."));
        return s;
    }

    @Override
    public void close() {
        prototypes.close();
        adapted.close();
    }
}
