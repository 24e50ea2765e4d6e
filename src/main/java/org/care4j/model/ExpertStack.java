package org.care4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.nn.Activation;
import java.util.List;

/**
 * Parameters of E experts stacked along a leading axis, so that many experts run as one batched product.
 *
 * <p>Shapes: {@code scale, lnW, lnB, upB: [E, d]}, {@code downW: [E, r, d]}, {@code downB: [E, r]},
 * {@code upW: [E, d, r]}. The frozen experts of a block live only here (no second copy per expert).
 */
final class ExpertStack {

    final NDArray scale;
    final NDArray lnW;
    final NDArray lnB;
    final NDArray downW;
    final NDArray downB;
    final NDArray upW;
    final NDArray upB;

    private ExpertStack(NDArray scale, NDArray lnW, NDArray lnB, NDArray downW, NDArray downB, NDArray upW,
            NDArray upB) {
        this.scale = scale;
        this.lnW = lnW;
        this.lnB = lnB;
        this.downW = downW;
        this.downB = downB;
        this.upW = upW;
        this.upB = upB;
    }

    static ExpertStack of(Expert e) {
        return new ExpertStack(e.scale.expandDims(0), e.lnW.expandDims(0), e.lnB.expandDims(0),
                e.downW.expandDims(0), e.downB.expandDims(0), e.upW.expandDims(0), e.upB.expandDims(0));
    }

    int size() {
        return (int) scale.getShape().get(0);
    }

    private List<NDArray> arrays() {
        return List.of(scale, lnW, lnB, downW, downB, upW, upB);
    }

    /** This stack followed by {@code other}; the result lives on {@code manager} (null: where it falls). */
    ExpertStack concat(ExpertStack other, NDManager manager) {
        List<NDArray> a = arrays();
        List<NDArray> b = other.arrays();
        NDArray[] c = new NDArray[a.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = NDArrays.concat(new NDList(a.get(i), b.get(i)), 0);
            if (manager != null) {
                NDScope.unregister(c[i]);
                c[i].attach(manager);
            }
        }
        return new ExpertStack(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
    }

    /** A detached copy on {@code manager}. */
    ExpertStack copy(NDManager manager) {
        NDArray[] c = arrays().stream().map(a -> {
            try (NDArray detached = a.stopGradient()) {
                NDArray d = detached.duplicate();
                NDScope.unregister(d);
                d.attach(manager);
                return d;
            }
        }).toArray(NDArray[]::new);
        return new ExpertStack(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
    }

    /**
     * {@code front} (null for none) followed by {@code added}, detached, in one copy on {@code manager};
     * neither input is closed.
     */
    static ExpertStack concat(ExpertStack front, List<Expert> added, NDManager manager) {
        NDArray[] c = new NDArray[Expert.NAMES.size()];
        for (int i = 0; i < c.length; i++) {
            NDList parts = new NDList();
            for (Expert e : added) {
                try (NDArray detached = e.parameters().get(Expert.NAMES.get(i)).stopGradient()) {
                    parts.add(detached.expandDims(0));
                }
            }
            NDArray out = front == null ? NDArrays.concat(parts, 0)
                    : NDArrays.concat(new NDList(front.arrays().get(i)).addAll(parts), 0);
            NDScope.unregister(out);
            out.attach(manager);
            // The expanded handles share storage with the added experts; closing them frees nothing they own.
            parts.close();
            c[i] = out;
        }
        return new ExpertStack(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
    }

    /** The experts at {@code index} (a 1-D int64 array), in that order. */
    ExpertStack take(NDArray index) {
        return new ExpertStack(scale.get(index), lnW.get(index), lnB.get(index), downW.get(index),
                downB.get(index), upW.get(index), upB.get(index));
    }

    /** A view of the first {@code n} experts. */
    ExpertStack prefix(int n) {
        if (n == size()) {
            return this;
        }
        String range = ":" + n;
        return new ExpertStack(scale.get(range), lnW.get(range), lnB.get(range), downW.get(range),
                downB.get(range), upW.get(range), upB.get(range));
    }

    /** A view of expert {@code i} as a standalone expert. */
    Expert expert(int i) {
        return new Expert(scale.get(i), lnW.get(i), lnB.get(i), downW.get(i), downB.get(i), upW.get(i),
                upB.get(i));
    }

    /** Keeps this stack's arrays when the enclosing {@link NDScope} closes. */
    void close() {
        arrays().forEach(NDArray::close);
    }

    /**
     * Every expert applied to one row per sample: {@code normed: [B, d]} (LayerNorm without affine) gives
     * {@code [B, E, d]}. Used for the class-token rows that drive routing.
     */
    NDArray rows(NDArray normed, float dropout) {
        NDArray x = normed.expandDims(0).mul(lnW.expandDims(1)).add(lnB.expandDims(1));
        NDArray h = x.matMul(downW.transpose(0, 2, 1)).add(downB.expandDims(1));
        h = Activation.relu(h);
        h = Dropout.apply(h, dropout);
        NDArray y = h.matMul(upW.transpose(0, 2, 1)).add(upB.expandDims(1)).mul(scale.expandDims(1));
        return y.transpose(1, 0, 2);
    }

    /**
     * The weighted sum of S experts per sample over all tokens, where this stack holds B * S experts in
     * sample-major order: {@code out[b] = sum_s weights[b, s] * E_{b,s}(x_b)}.
     *
     * <p>The adapter's LayerNorm affine is folded into the down projection and the weight and scale into the
     * up projection, so each sample needs two batched products of width S * r and no [B, S, N, d] tensor is
     * ever formed.
     *
     * @param normed tokens after LayerNorm without affine, {@code [B, N, d]}
     * @param weights {@code [B, S]}
     */
    NDArray mix(NDArray normed, NDArray weights, float dropout) {
        long b = normed.getShape().get(0);
        long d = normed.getShape().get(2);
        long slots = weights.getShape().get(1);
        long r = downW.getShape().get(1);
        NDArray foldedDown = downW.mul(lnW.expandDims(1)).reshape(b, slots * r, d);
        NDArray foldedBias = downW.matMul(lnB.expandDims(2)).squeeze(2).add(downB).reshape(b, 1, slots * r);
        NDArray h = normed.matMul(foldedDown.transpose(0, 2, 1)).add(foldedBias);
        h = Activation.relu(h);
        h = Dropout.apply(h, dropout);
        NDArray gain = weights.reshape(b * slots, 1).mul(scale);
        NDArray foldedUp = upW.transpose(0, 2, 1).mul(gain.expandDims(1)).reshape(b, slots * r, d);
        NDArray bias = upB.mul(gain).reshape(b, slots, d).sum(new int[] {1}, true);
        return h.matMul(foldedUp).add(bias);
    }
}
