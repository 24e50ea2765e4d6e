package org.care4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.care4j.runtime.Scalar;

/**
 * Bias-free cosine classifier with one head per task: {@code logits = normalize(f) . normalize(W)^T} over the
 * heads concatenated, {@code f: [B, d]}, head t {@code W_t: [|G_t|, d]}, logits {@code [B, C]} in [-1, 1];
 * {@code normalize(v) = v / max(||v||, 1e-12)}. The scale s = 20 is applied by whoever takes a softmax.
 */
public final class CosineClassifier {

    private final int width;
    private final DataType type;
    private final NDManager manager;
    private final List<NDArray> heads = new ArrayList<>();

    /** An empty classifier for features of width {@code width}; heads are created on {@code manager}. */
    public CosineClassifier(int width, DataType type, NDManager manager) {
        this.width = width;
        this.type = type;
        this.manager = manager;
    }

    /** Adds a head of {@code classes} rows, trunc-normal std 0.02. */
    public void addHead(int classes, Random rng) {
        heads.add(Init.truncNormal(manager, rng, type, 0.02, classes, width));
    }

    /** Adds a head with given weights {@code [classes, d]}. */
    void addHead(NDArray weight) {
        heads.add(weight);
    }

    public List<NDArray> heads() {
        return Collections.unmodifiableList(heads);
    }

    public int classes() {
        return heads.stream().mapToInt(h -> (int) h.getShape().get(0)).sum();
    }

    /** {@code f: [B, d] -> [B, C]} cosines. */
    public NDArray forward(NDArray features) {
        NDArray w = heads.size() == 1 ? heads.get(0) : NDArrays.concat(new NDList(heads), 0);
        return cosine(features, w);
    }

    /** Cosines {@code [B, C]} of features {@code [B, d]} against the rows of {@code weight: [C, d]}. */
    public static NDArray cosine(NDArray features, NDArray weight) {
        return normalize(features).matMul(normalize(weight).transpose());
    }

    static NDArray normalize(NDArray v) {
        return v.div(Scalar.atLeast(v.norm(new int[] {1}, true), 1e-12));
    }

    /** Closes every head. */
    public void close() {
        heads.forEach(NDArray::close);
    }
}
