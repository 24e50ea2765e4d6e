package org.care4j.learn;

import ai.djl.ndarray.NDArray;
import org.care4j.runtime.Scalar;

/**
 * CosFace (large-margin cosine) loss over the current task's classes:
 * {@code L = -mean_i log( e^{s(c_{i,y} - m)} / (e^{s(c_{i,y} - m)} + sum_{j != y} e^{s c_{i,j}}) )}.
 *
 * <p>Shapes: {@code logits: [B, C]}, {@code labels: [B]} (int64, local to the task). Computed in log-sum-exp
 * form, which equals the reference wherever the reference is finite; the reference evaluates the exponentials
 * directly and overflows in float32 once {@code s * logit > 88.7}.
 */
public final class CosFace {

    private CosFace() {}

    /** The loss, a scalar. */
    public static NDArray loss(NDArray logits, NDArray labels, double scale, double margin) {
        int classes = (int) logits.getShape().get(1);
        NDArray target = labels.oneHot(classes).toType(logits.getDataType(), false);
        NDArray z = Scalar.times(logits, scale);
        if (margin != 0) {
            z = z.sub(Scalar.times(target, scale * margin));
        }
        return z.logSoftmax(1).mul(target).sum(new int[] {1}).mean().neg();
    }

    /** Plain cross-entropy on raw logits, {@code -mean log softmax(logits)_y}. */
    public static NDArray crossEntropy(NDArray logits, NDArray labels) {
        return loss(logits, labels, 1, 0);
    }
}
