package org.care4j.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.care4j.model.VisionTransformer;

/**
 * SimpleCIL: no training at all. Each class's prototype is the mean class-token feature of the frozen backbone
 * over its training images (test transform), and an image goes to the class whose prototype has the highest
 * cosine similarity with its feature ({@link PrototypeClassifier}).
 *
 * <p>Scores are the cosines {@code [B, C]}; {@link #state()} holds {@code prototypes: [C, d]}.
 */
public final class SimpleCilLearner implements Learner {

    private final UnaryOperator<NDArray> features;
    private final FeatureMemo memo;
    private final PrototypeClassifier prototypes;

    /** SimpleCIL on the class-token feature of {@code backbone}. */
    public SimpleCilLearner(VisionTransformer backbone, NDManager manager) {
        this(backbone.width(), images -> backbone.forward(as(images, backbone.dataType()), null), manager);
    }

    /**
     * SimpleCIL on any frozen feature.
     *
     * @param width feature width d
     * @param features maps float32 images {@code [B, 3, S, S]} to features {@code [B, d]}
     */
    public SimpleCilLearner(int width, UnaryOperator<NDArray> features, NDManager manager) {
        this.features = features;
        this.memo = new FeatureMemo(features, width, FeatureMemo.DEFAULT_BYTES);
        this.prototypes = new PrototypeClassifier(width, manager);
    }

    @Override
    public String method() {
        return "simplecil";
    }

    @Override
    public void learnTask(TaskData task) {
        prototypes.addTask(task, features);
    }

    @Override
    public Prediction predict(NDArray images) {
        try (NDScope scope = new NDScope()) {
            // The backbone never changes, so each test image's feature is computed once per run.
            float[] scores = prototypes.scores(memo.features(images)).toType(DataType.FLOAT32, false)
                    .toFloatArray();
            return new Prediction(scores, prototypes.classes(), List.of(), List.of());
        }
    }

    /** The prototypes, {@code classes x d} values. */
    @Override
    public long parametersAdded() {
        return prototypes.parameterCount();
    }

    @Override
    public Map<String, NDArray> state() {
        Map<String, NDArray> s = new LinkedHashMap<>();
        if (prototypes.prototypes() != null) {
            s.put("prototypes", prototypes.prototypes());
        }
        return s;
    }

    @Override
    public void close() {
        prototypes.close();
    }

    /** {@code images} in {@code type}. */
    static NDArray as(NDArray images, DataType type) {
        return images.getDataType() == type ? images : images.toType(type, false);
    }
}
