package org.care4j.learn;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.care4j.runtime.Scalar;

/**
 * The CaRE training loss on a batch of the current task (CARE-SPEC section 4):
 * {@code total = main + mean_l (hard_l + soft_l) / 2}, where
 * <ul>
 *   <li>main = CosFace on the current task's cosine logits (scale s, margin m);
 *   <li>hard_l = CosFace (or cross-entropy) on block l's raw perceptron logits;
 *   <li>soft_l = {@code KL(softmax(teacher / t) || softmax(a_l / t)) * t^2}, batch mean, with teacher the
 *       detached, unscaled cosine logits and t = 1 for blocks 0-5, 2 from block 6 on.
 * </ul>
 * Without self-distillation the auxiliary term of a block is its hard term alone.
 */
public final class CareObjective {

    /**
     * The loss and its parts.
     *
     * @param total scalar to back-propagate
     * @param main CosFace on the final logits
     * @param auxiliary mean over blocks
     * @param hard per block hard term
     * @param soft per block soft term (empty without self-distillation)
     */
    public record Terms(NDArray total, NDArray main, NDArray auxiliary, List<NDArray> hard, List<NDArray> soft) {}

    private final double scale;
    private final double margin;
    private final boolean auxCosine;
    private final boolean selfDistillation;

    public CareObjective(double scale, double margin, boolean auxCosine, boolean selfDistillation) {
        this.scale = scale;
        this.margin = margin;
        this.auxCosine = auxCosine;
        this.selfDistillation = selfDistillation;
    }

    /**
     * @param taskLogits cosine logits of the current task's classes {@code [B, |G_t|]}
     * @param perceptronLogits per block, the current task's perceptron logits {@code [B, |G_t|]}
     * @param labels {@code [B]} int64, local to the task
     */
    public Terms compute(NDArray taskLogits, List<NDArray> perceptronLogits, NDArray labels) {
        NDArray main = CosFace.loss(taskLogits, labels, scale, margin);
        NDArray teacher = taskLogits.stopGradient();
        List<NDArray> hard = new ArrayList<>();
        List<NDArray> soft = new ArrayList<>();
        NDArray sum = null;
        for (int l = 0; l < perceptronLogits.size(); l++) {
            NDArray a = perceptronLogits.get(l);
            NDArray h = auxCosine ? CosFace.loss(a, labels, scale, margin) : CosFace.crossEntropy(a, labels);
            hard.add(h);
            NDArray block = h;
            if (selfDistillation) {
                double t = l < 6 ? 1 : 2;
                NDArray s = Scalar.times(klDivergence(Scalar.over(teacher, t), Scalar.over(a, t)), t * t);
                soft.add(s);
                block = Scalar.over(h.add(s), 2);
            }
            sum = sum == null ? block : sum.add(block);
        }
        NDArray aux = Scalar.over(sum, perceptronLogits.size());
        return new Terms(main.add(aux), main, aux, hard, soft);
    }

    /** {@code KL(softmax(p) || softmax(q))}, summed over classes and averaged over the batch. */
    static NDArray klDivergence(NDArray teacherLogits, NDArray studentLogits) {
        NDArray logP = teacherLogits.logSoftmax(1);
        NDArray logQ = studentLogits.logSoftmax(1);
        return logP.exp().mul(logP.sub(logQ)).sum(new int[] {1}).mean();
    }
}
