package org.care4j.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.care4j.runtime.Scalar;

/**
 * Stochastic gradient descent with momentum and weight decay, PyTorch's formulation:
 * {@code g = grad + wd * p; buf = g (first step) or momentum * buf + g; p = p - lr * buf}.
 * Parameters without a gradient in a step are skipped, as PyTorch skips those whose grad is None.
 */
public final class Sgd implements AutoCloseable {

    private final List<NDArray> parameters;
    private final double momentum;
    private final double weightDecay;
    private final NDManager manager;
    private final Map<NDArray, NDArray> buffers = new IdentityHashMap<>();

    public Sgd(List<NDArray> parameters, double momentum, double weightDecay, NDManager parent) {
        this.parameters = parameters;
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.manager = parent.newSubManager();
    }

    /**
     * Applies one update with learning rate {@code lr} and clears the gradients. Every temporary closes with
     * the step: the weight-decay product in particular would otherwise stay on the parameter's manager,
     * which lives as long as the model, and grow memory by the trainable size at every step.
     */
    public void step(double lr) {
        // Every temporary of the update (gradient handles, weight-decay terms, deltas) dies with this scope;
        // only a new momentum buffer is taken out of it.
        try (NDScope scope = new NDScope()) {
            for (NDArray p : parameters) {
                NDArray grad = gradientOf(p);
                if (grad == null) {
                    continue;
                }
                NDArray value = p.stopGradient();
                NDArray g = weightDecay == 0 ? grad.duplicate() : Scalar.times(value, weightDecay).add(grad);
                NDArray buf = buffers.get(p);
                if (momentum != 0 && buf == null) {
                    buf = g;
                    NDScope.unregister(buf);
                    buf.attach(manager);
                    buffers.put(p, buf);
                } else if (momentum != 0) {
                    try (NDArray m = Scalar.constant(buf, momentum)) {
                        buf.muli(m).addi(g);
                    }
                } else {
                    buf = g;
                }
                value.subi(Scalar.times(buf, lr));
                grad.muli(0);
            }
        }
    }

    /** How many parameter tensors hold a NaN or infinite value (for error messages). */
    public int nonFiniteParameters() {
        int n = 0;
        for (NDArray p : parameters) {
            try (NDArray bad = p.stopGradient().isNaN().logicalOr(p.stopGradient().isInfinite()).any()) {
                n += bad.getBoolean() ? 1 : 0;
            }
        }
        return n;
    }

    /** The gradient of {@code p} from the last backward pass, or null when it took no part. */
    static NDArray gradientOf(NDArray p) {
        try {
            NDArray g = p.getGradient();
            return g == null || g.getShape().size() != p.getShape().size() ? null : g;
        } catch (IllegalStateException | ai.djl.engine.EngineException e) {
            return null;
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
