package org.care4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.care4j.runtime.Scalar;

/**
 * A bottleneck adapter: {@code E(x) = (up(dropout(ReLU(down(LN(x))))) ) * s}, applied token-wise.
 *
 * <p>Shapes: input {@code x: [..., d]}, {@code down: [r, d]} with bias {@code [r]}, {@code up: [d, r]} with bias
 * {@code [d]}, LayerNorm gain and bias {@code [d]} (eps 1e-5), per-channel scale {@code s: [d]} initialised to 0.
 * Task experts use r = {@code expert_dim} (16); the shared expert uses r = {@code adapter_dim} (64).
 * Parameter names follow the reference {@code Adapter} module.
 */
public final class Expert {

    /** LayerNorm eps of adapters and class perceptrons (PyTorch's default; the ViT's own norms use 1e-6). */
    public static final float EPS = 1e-5f;

    /** Reference parameter names, in the reference's {@code parameters()} order. */
    public static final List<String> NAMES = List.of("scale", "adapter_layer_norm_before.weight",
            "adapter_layer_norm_before.bias", "down_proj.weight", "down_proj.bias", "up_proj.weight",
            "up_proj.bias");

    final NDArray scale;
    final NDArray lnW;
    final NDArray lnB;
    final NDArray downW;
    final NDArray downB;
    final NDArray upW;
    final NDArray upB;

    Expert(NDArray scale, NDArray lnW, NDArray lnB, NDArray downW, NDArray downB, NDArray upW, NDArray upB) {
        this.scale = scale;
        this.lnW = lnW;
        this.lnB = lnB;
        this.downW = downW;
        this.downB = downB;
        this.upW = upW;
        this.upB = upB;
    }

    /** A fresh expert: Kaiming-uniform (a = sqrt 5) weights, zero biases, unit LayerNorm, zero scale. */
    public static Expert initial(int width, int bottleneck, DataType type, Random rng, NDManager manager) {
        return new Expert(manager.zeros(new Shape(width), type), manager.ones(new Shape(width), type),
                manager.zeros(new Shape(width), type), Init.kaimingUniform(manager, rng, type, bottleneck, width),
                manager.zeros(new Shape(bottleneck), type), Init.kaimingUniform(manager, rng, type, width, bottleneck),
                manager.zeros(new Shape(width), type));
    }

    /** Builds an expert from named tensors (names of {@link #NAMES}). */
    public static Expert of(Map<String, NDArray> p) {
        return new Expert(p.get("scale"), p.get("adapter_layer_norm_before.weight"),
                p.get("adapter_layer_norm_before.bias"), p.get("down_proj.weight"), p.get("down_proj.bias"),
                p.get("up_proj.weight"), p.get("up_proj.bias"));
    }

    /** Parameters by reference name, in reference order. */
    public Map<String, NDArray> parameters() {
        Map<String, NDArray> p = new LinkedHashMap<>();
        List<NDArray> values = List.of(scale, lnW, lnB, downW, downB, upW, upB);
        for (int i = 0; i < NAMES.size(); i++) {
            p.put(NAMES.get(i), values.get(i));
        }
        return p;
    }

    public int bottleneck() {
        return (int) downW.getShape().get(0);
    }

    /**
     * Applies the adapter to every token.
     *
     * @param x {@code [..., d]}
     * @param dropout hidden-unit dropout probability (0 in evaluation)
     */
    public NDArray forward(NDArray x, float dropout) {
        NDArray h = VisionTransformer.layerNorm(x, lnW, lnB, EPS);
        h = Activation.relu(Linear.linear(h, downW, downB).singletonOrThrow());
        h = Dropout.apply(h, dropout);
        return Linear.linear(h, upW, upB).singletonOrThrow().mul(scale);
    }

    /** Copies of all parameters on {@code manager}, detached from any graph. */
    public Expert copy(NDManager manager) {
        Map<String, NDArray> c = new LinkedHashMap<>();
        parameters().forEach((k, v) -> {
            // The detached view would otherwise stay on the parameter's manager for the life of the model.
            try (NDArray view = v.stopGradient()) {
                NDArray d = view.duplicate();
                NDScope.unregister(d);
                d.attach(manager);
                c.put(k, d);
            }
        });
        return of(c);
    }

    /**
     * Shared-expert anchoring: sets every parameter in place to {@code keep * reference + (1 - keep) * current}
     * (the reference applies this before each training forward with keep = 0.999).
     */
    public void anchorTo(Expert reference, double keep) {
        Map<String, NDArray> ref = reference.parameters();
        parameters().forEach((name, p) -> {
            // A detached view shares the parameter's storage, so in-place arithmetic on it updates the
            // parameter without recording anything for autograd.
            NDArray anchor = Scalar.times(ref.get(name), keep);
            NDArray view = p.stopGradient();
            try (NDArray rest = Scalar.constant(view, 1 - keep)) {
                view.muli(rest).addi(anchor);
            }
            anchor.close();
            view.close();
        });
    }

    /** Marks every parameter as trainable or frozen. */
    public void setTrainable(boolean trainable) {
        parameters().values().forEach(p -> p.setRequiresGradient(trainable));
    }
}
