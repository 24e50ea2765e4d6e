package org.care4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The frozen class perceptrons of one block, packed: {@code lnW, lnB: [T, d]}, and the Linear rows of all
 * tasks' classes one after another in {@code weight: [C, d]}, {@code bias: [C]}; task t owns classes
 * {@code [offset(t), offset(t + 1))}.
 */
final class PerceptronBank {

    private final NDManager manager;
    private final NDArray ones;
    private final NDArray zeros;
    private NDArray lnW;
    private NDArray lnB;
    private NDArray weight;
    private NDArray bias;
    private int[] offsets = {0};

    PerceptronBank(int width, DataType type, NDManager manager) {
        this.manager = manager;
        this.ones = manager.ones(new Shape(width), type);
        this.zeros = manager.zeros(new Shape(width), type);
    }

    int size() {
        return offsets.length - 1;
    }

    int classOffset(int task) {
        return offsets[task];
    }

    long parameterCount() {
        return lnW == null ? 0 : lnW.size() + lnB.size() + weight.size() + bias.size();
    }

    void append(ClassPerceptron p) {
        appendAll(List.of(p));
    }

    /** Appends perceptrons of tasks {@code size()}, {@code size() + 1}, ... in one copy of the bank. */
    void appendAll(List<ClassPerceptron> added) {
        lnW = grow(lnW, added, ClassPerceptron::lnW, true);
        lnB = grow(lnB, added, ClassPerceptron::lnB, true);
        weight = grow(weight, added, ClassPerceptron::weight, false);
        bias = grow(bias, added, ClassPerceptron::bias, false);
        int at = offsets.length;
        offsets = Arrays.copyOf(offsets, offsets.length + added.size());
        for (ClassPerceptron p : added) {
            offsets[at] = offsets[at - 1] + p.classes();
            at++;
        }
    }

    private NDArray grow(NDArray old, List<ClassPerceptron> added, Function<ClassPerceptron, NDArray> part,
            boolean row) {
        // Detached handles and views share storage with their source; each is closed once copied.
        NDList parts = new NDList();
        for (ClassPerceptron p : added) {
            NDArray detached = part.apply(p).stopGradient();
            parts.add(row ? detached.expandDims(0) : detached);
            if (row) {
                detached.close();
            }
        }
        if (old != null) {
            parts.add(0, old);
        }
        NDArray out = parts.size() == 1 ? parts.get(0).duplicate() : NDArrays.concat(parts, 0);
        NDScope.unregister(out);
        out.attach(manager);
        parts.close();
        return out;
    }

    /** A view of perceptron {@code t}. */
    ClassPerceptron perceptron(int t) {
        String range = offsets[t] + ":" + offsets[t + 1];
        return new ClassPerceptron(lnW.get(t), lnB.get(t), weight.get(range), bias.get(range));
    }

    /**
     * Logits of the first {@code tasks} perceptrons, each on its own expert's class-token row.
     *
     * <p>Consecutive tasks with the same class count form one batched product {@code [k, B, d] x [k, d, c]}
     * over a view of the packed weights, so no per-class copy of the rows ({@code [B, C, d]}, which grows
     * with T) is ever formed; with equal tasks that is a single product.
     *
     * @param rows {@code u: [B, E, d]} with E at least {@code tasks}
     * @return {@code [B, offset(tasks)]}: task t's logits in columns {@code [offset(t), offset(t + 1))}
     */
    NDArray logits(NDArray rows, int tasks) {
        long b = rows.getShape().get(0);
        long d = rows.getShape().get(2);
        NDArray u = rows.get(":, :" + tasks + ", :");
        NDArray n = VisionTransformer.layerNorm(u, ones, zeros, Expert.EPS).mul(lnW.get(":" + tasks))
                .add(lnB.get(":" + tasks));
        NDList runs = new NDList();
        for (int t = 0; t < tasks; ) {
            int c = offsets[t + 1] - offsets[t];
            int end = t + 1;
            while (end < tasks && offsets[end + 1] - offsets[end] == c) {
                end++;
            }
            int k = end - t;
            NDArray w = weight.get(offsets[t] + ":" + offsets[end]).reshape(k, c, d);
            NDArray x = n.get(":, " + t + ":" + end + ", :").transpose(1, 0, 2);
            runs.add(x.matMul(w.transpose(0, 2, 1)).transpose(1, 0, 2).reshape(b, (long) k * c));
            t = end;
        }
        NDArray logits = runs.size() == 1 ? runs.get(0) : NDArrays.concat(runs, 1);
        return logits.add(bias.get(":" + offsets[tasks]));
    }

    void close() {
        for (NDArray a : new NDArray[] {lnW, lnB, weight, bias, ones, zeros}) {
            if (a != null) {
                a.close();
            }
        }
    }
}
