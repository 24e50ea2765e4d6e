package org.care4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.care4j.runtime.HostArrays;

/**
 * The frozen routers of one block, packed: router t owns rows {@code [t(t+1)/2, (t+1)(t+2)/2)} of
 * {@code weight: [rows + 1, d]} and {@code bias: [rows + 1]}; the last row is zero and pads gathers. Packing
 * stores exactly the T(T+1)/2 rows the method needs, with no square padding.
 */
final class RouterBank {

    private final NDManager manager;
    private NDArray weight;
    private NDArray bias;
    private int count;

    RouterBank(int width, DataType type, NDManager manager) {
        this.manager = manager;
        this.weight = manager.zeros(new Shape(1, width), type);
        this.bias = manager.zeros(new Shape(1), type);
    }

    static long offset(int task) {
        return (long) task * (task + 1) / 2;
    }

    int size() {
        return count;
    }

    long parameterCount() {
        return weight.size() + bias.size() - weight.getShape().get(1) - 1;
    }

    void append(Router router) {
        appendAll(List.of(router));
    }

    /**
     * Appends routers {@code size()}, {@code size() + 1}, ... in one copy of the bank (loading many tasks
     * one by one would copy the bank once per task, T^3 / 6 rows in all).
     */
    void appendAll(List<Router> added) {
        for (int i = 0; i < added.size(); i++) {
            Router router = added.get(i);
            if (router.width() != count + i + 1) {
                throw new IllegalArgumentException("router " + (count + i) + " must have " + (count + i + 1)
                        + " outputs, has " + router.width());
            }
        }
        long rows = offset(count);
        // Views and detached handles share storage with what they come from: each is closed once copied, or
        // it would keep every former bank alive.
        NDList weights = new NDList(weight.get(":" + rows));
        NDList biases = new NDList(bias.get(":" + rows));
        for (Router r : added) {
            weights.add(r.weight().stopGradient());
            biases.add(r.bias().stopGradient());
        }
        weights.add(weight.get(rows + ":"));
        biases.add(bias.get(rows + ":"));
        NDArray w = NDArrays.concat(weights, 0);
        NDArray b = NDArrays.concat(biases, 0);
        weights.close();
        biases.close();
        NDScope.unregister(w);
        w.attach(manager);
        NDScope.unregister(b);
        b.attach(manager);
        weight.close();
        bias.close();
        weight = w;
        bias = b;
        count += added.size();
    }

    /** A view of router {@code t}. */
    Router router(int t) {
        String range = offset(t) + ":" + offset(t + 1);
        return new Router(weight.get(range), bias.get(range));
    }

    /**
     * Logits of chosen routers on their own experts' class-token rows.
     *
     * @param rows {@code u: [B, E, d]}, expert e's class-token output in row e
     * @param routers per sample, the router tasks to evaluate ({@code [B][R]}, every id below {@link #size()})
     * @param experts E, the number of experts in use; router m fills entries 0..m and the rest are -infinity
     * @return {@code [B, R, E]}
     */
    NDArray logits(NDArray rows, int[][] routers, int experts) {
        int b = routers.length;
        int r = routers[0].length;
        long pad = offset(count);
        long[] pick = new long[b * r];
        long[] index = new long[b * r * experts];
        float[] mask = new float[b * r * experts];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < r; j++) {
                int m = routers[i][j];
                pick[i * r + j] = (long) i * experts + m;
                for (int e = 0; e < experts; e++) {
                    int at = (i * r + j) * experts + e;
                    index[at] = e <= m ? offset(m) + e : pad;
                    mask[at] = e <= m ? 0f : Float.NEGATIVE_INFINITY;
                }
            }
        }
        NDArray logits = gathered(rows, pick, index, b, r, experts);
        return logits.add(HostArrays.of(rows.getManager(), mask, new Shape(b, r, experts))
                .toType(rows.getDataType(), false));
    }

    /**
     * Logits of chosen routers for chosen experts only, each router on its own expert's class-token row.
     *
     * @param rows {@code u: [B, E, d]}, expert e's class-token output in row e
     * @param routers per sample, the router tasks ({@code [B][R]}, every id below {@link #size()})
     * @param experts per sample and router, at most {@code k} experts that router scores
     * @return {@code [B, R, k]}; entries past a router's list are 0
     */
    NDArray chosenLogits(NDArray rows, int[][] routers, int[][][] experts, int k) {
        int b = routers.length;
        int r = routers[0].length;
        long e = rows.getShape().get(1);
        long pad = offset(count);
        long[] pick = new long[b * r];
        long[] index = new long[b * r * k];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < r; j++) {
                int m = routers[i][j];
                pick[i * r + j] = i * e + m;
                for (int q = 0; q < k; q++) {
                    index[(i * r + j) * k + q] = q < experts[i][j].length ? offset(m) + experts[i][j][q] : pad;
                }
            }
        }
        return gathered(rows, pick, index, b, r, k);
    }

    /**
     * {@code [B, R, n]}: for each (sample, router) pair, the packed router rows {@code index} (n per pair) times
     * the class-token row {@code pick} of {@code rows} ({@code [B, E, d]} flattened to {@code [B * E, d]}), plus
     * their biases.
     */
    private NDArray gathered(NDArray rows, long[] pick, long[] index, int b, int r, int n) {
        long d = rows.getShape().get(2);
        NDManager temp = rows.getManager();
        NDArray u = rows.reshape(-1, d).get(HostArrays.of(temp, pick, new Shape(pick.length))).reshape(b * r, d, 1);
        NDArray idx = HostArrays.of(temp, index, new Shape(index.length));
        NDArray w = weight.get(idx).reshape(b * r, n, d);
        return w.matMul(u).reshape(b, r, n).add(bias.get(idx).reshape(b, r, n));
    }

    void close() {
        weight.close();
        bias.close();
    }
}
