package org.care4j.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

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

    /** Applies one update with learning rate {@code lr} and clears the gradients. */
    public void step(double lr) {
        for (NDArray p : parameters) {
            NDArray grad = gradientOf(p);
            if (grad == null) {
                continue;
            }
            NDArray value = p.stopGradient();
            NDArray g = weightDecay == 0 ? grad.duplicate() : value.mul(weightDecay).add(grad);
            NDArray buf = buffers.get(p);
            if (momentum == 0) {
                buf = g;
            } else if (buf == null) {
                buf = g;
                // The buffer outlives any NDScope the step runs in; the optimizer's manager owns it.
                ai.djl.ndarray.NDScope.unregister(buf);
                buf.attach(manager);
                buffers.put(p, buf);
            } else {
                buf.muli(momentum).addi(g);
                g.close();
            }
            NDArray delta = buf.mul(lr);
            value.subi(delta);
            delta.close();
            if (momentum == 0) {
                buf.close();
            }
            grad.muli(0);
            grad.close();
            value.close();
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
