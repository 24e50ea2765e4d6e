package org.care4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

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
        lnW = grow(lnW, p.lnW().stopGradient().expandDims(0));
        lnB = grow(lnB, p.lnB().stopGradient().expandDims(0));
        weight = grow(weight, p.weight().stopGradient());
        bias = grow(bias, p.bias().stopGradient());
        offsets = Arrays.copyOf(offsets, offsets.length + 1);
        offsets[offsets.length - 1] = offsets[offsets.length - 2] + p.classes();
    }

    private NDArray grow(NDArray old, NDArray add) {
        NDArray out = old == null ? add.duplicate() : NDArrays.concat(new NDList(old, add), 0);
        // Called inside a scope: the detached views of the new perceptron close with it, the bank stays.
        NDScope.unregister(out);
        out.attach(manager);
        if (old != null) {
            old.close();
        }
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
     * @param rows {@code u: [B, E, d]} with E at least {@code tasks}
     * @return {@code [B, offset(tasks)]}: task t's logits in columns {@code [offset(t), offset(t + 1))}
     */
    NDArray logits(NDArray rows, int tasks) {
        long b = rows.getShape().get(0);
        long d = rows.getShape().get(2);
        int classes = offsets[tasks];
        NDArray u = rows.get(":, :" + tasks + ", :");
        NDArray n = VisionTransformer.layerNorm(u, ones, zeros, Expert.EPS).mul(lnW.get(":" + tasks))
                .add(lnB.get(":" + tasks));
        long[] pick = new long[(int) b * classes];
        for (int i = 0; i < b; i++) {
            for (int t = 0; t < tasks; t++) {
                for (int c = offsets[t]; c < offsets[t + 1]; c++) {
                    pick[i * classes + c] = (long) i * tasks + t;
                }
            }
        }
        NDArray perClass = n.reshape(-1, d).get(rows.getManager().create(pick)).reshape(b, classes, d);
        return perClass.mul(weight.get(":" + classes)).sum(new int[] {2}).add(bias.get(":" + classes));
    }

    void close() {
        for (NDArray a : new NDArray[] {lnW, lnB, weight, bias, ones, zeros}) {
            if (a != null) {
                a.close();
            }
        }
    }
}
