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
 * The fine-tuning lower bound: one shared {@link AdaptFormer} adapter and a {@link CosineClassifier} with one head
 * per task. Each task adds its head and trains the whole adapter and that head with {@link AdapterTuning} on the
 * task's classes; nothing is done against forgetting, so the adapter drifts away from what older heads learned.
 *
 * <p>Scores are the cosines over all heads {@code [B, C]}. {@link #state()} holds the adapter as
 * {@code adapter.blocks.<l>.<name>} and head t as {@code fc.heads.<t>.0.weight} ({@code [|G_t|, d]}).
 */
public final class FineTuneLearner implements Learner {

    private final AdaptFormer network;
    private final AdapterTuning.Settings settings;
    private final NDManager manager;
    private final NDManager classifierManager;
    private final CosineClassifier classifier;
    private final Random rng;

    /**
     * @param network the backbone with fresh adapters; this learner owns and closes the adapters
     */
    public FineTuneLearner(AdaptFormer network, AdapterTuning.Settings settings, NDManager manager) {
        this.network = network;
        this.settings = settings;
        this.manager = manager;
        this.classifierManager = manager.newSubManager();
        VisionTransformer vit = network.backbone();
        this.classifier = new CosineClassifier(vit.width(), vit.dataType(), classifierManager);
        this.rng = new Random(settings.seed());
    }

    @Override
    public String method() {
        return "finetune";
    }

    /** The backbone with the shared adapter. */
    public AdaptFormer network() {
        return network;
    }

    public CosineClassifier classifier() {
        return classifier;
    }

    @Override
    public void learnTask(TaskData task) {
        if (task.firstClass() != classifier.classes()) {
            throw new IllegalArgumentException("task " + task.task() + " starts at class " + task.firstClass()
                    + " but " + classifier.classes() + " classes are known");
        }
        classifier.addHead(task.classes(), rng);
        AdapterTuning.train(task, network, classifier, settings, method(), manager);
    }

    @Override
    public Prediction predict(NDArray images) {
        if (classifier.classes() == 0) {
            throw new IllegalStateException("no class learned yet");
        }
        try (NDScope scope = new NDScope()) {
            NDArray x = SimpleCilLearner.as(images, network.backbone().dataType());
            float[] scores = classifier.forward(network.forward(x, false)).toType(DataType.FLOAT32, false)
                    .toFloatArray();
            return new Prediction(scores, classifier.classes(), List.of(), List.of());
        }
    }

    /** The adapter and every head. */
    @Override
    public long parametersAdded() {
        return network.parameterCount() + classifier.heads().stream().mapToLong(NDArray::size).sum();
    }

    @Override
    public Map<String, NDArray> state() {
        Map<String, NDArray> s = new LinkedHashMap<>(network.state("adapter."));
        List<NDArray> heads = classifier.heads();
        for (int t = 0; t < heads.size(); t++) {
            s.put("fc.heads." + t + ".0.weight", heads.get(t));
        }
        return s;
    }

    @Override
    public void close() {
        classifierManager.close();
        network.close();
    }
}
