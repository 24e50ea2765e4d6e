package org.care4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.care4j.runtime.HostArrays;

/**
 * The Bi-Level Routing Mixture-of-Experts module of one transformer block (CARE-SPEC section 2).
 *
 * <p>For tasks t = 0..T-1 it owns an {@link Expert} E_t (bottleneck r), a {@link Router} R_t with t + 1
 * outputs and a {@link ClassPerceptron} C_t, plus one always-active shared expert. On the block's
 * post-attention tokens {@code z_a: [B, N, d]} it:
 * <ol>
 *   <li>computes every expert's class-token row {@code u_t = E_t(z_a)[:, 0]} in one batched product;
 *   <li>picks, per sample, the M routers whose perceptron softmax {@code C_t(u_t)} has the lowest entropy
 *       (with a known task id t, router t plus M - 1 picked among 0..t-1);
 *   <li>keeps each picked router's top-K logits of {@code R_m(u_m)} (others -100, absent experts -inf),
 *       softmaxes, and sums the weights over routers (not averaged);
 *   <li>returns {@code sum_e w_e E_e(z_a) + shared(z_a)}.
 * </ol>
 *
 * <p>{@link Routing#SPARSE} evaluates step 4 only for the at most M * K experts that carry weight, so its
 * cost stays flat in T; the -100 entries it skips weigh below 1e-40. {@link Routing#DENSE} runs every expert
 * on every token as the reference code does. In training, dropout masks of the routing rows (step 1) and of
 * the mixed output (step 4) are drawn independently, where the reference reuses one expert output for both.
 *
 * <p>Frozen tasks live in packed banks; the task being learned lives in separate trainable tensors until
 * {@link #endTask()} freezes it.
 */
public final class BrMoeBlock {

    /** How step 4 is computed. */
    public enum Routing {
        /** Only the experts that receive a weight, batched across the batch. */
        SPARSE,
        /** Every expert on every token, as the reference implementation. */
        DENSE
    }

    /**
     * Result of one block.
     *
     * @param branch {@code [B, N, d]}, added to the block output
     * @param perceptronLogits the known task's perceptron logits {@code [B, |G_t|]}, null for task-agnostic
     * @param routers per sample, the picked router tasks (entropy order, the known task last)
     * @param experts per sample, the distinct experts that received a top-K weight
     */
    public record Output(NDArray branch, NDArray perceptronLogits, int[][] routers, int[][] experts) {}

    private final int width;
    private final int expertDim;
    private final int topRouters;
    private final int topExperts;
    private final DataType type;
    private final NDManager manager;
    private final NDArray ones;
    private final NDArray zeros;
    private final RouterBank routers;
    private final PerceptronBank perceptrons;
    private Expert shared;
    private ExpertStack experts;
    private Expert newExpert;
    private Router newRouter;
    private ClassPerceptron newPerceptron;

    BrMoeBlock(int width, int expertDim, int adapterDim, int topRouters, int topExperts, DataType type,
            Random rng, NDManager manager) {
        this.width = width;
        this.expertDim = expertDim;
        this.topRouters = topRouters;
        this.topExperts = topExperts;
        this.type = type;
        this.manager = manager;
        this.ones = manager.ones(new Shape(width), type);
        this.zeros = manager.zeros(new Shape(width), type);
        this.routers = new RouterBank(width, type, manager);
        this.perceptrons = new PerceptronBank(width, type, manager);
        this.shared = Expert.initial(width, adapterDim, type, rng, manager);
    }

    /** Tasks known to this block, the one being learned included. */
    public int tasks() {
        return frozenTasks() + (newExpert == null ? 0 : 1);
    }

    int frozenTasks() {
        return perceptrons.size();
    }

    public Expert shared() {
        return shared;
    }

    void replaceShared(Expert expert) {
        shared = expert;
    }

    /** The expert of task t (a view for frozen tasks). */
    public Expert expert(int t) {
        return t == frozenTasks() && newExpert != null ? newExpert : experts.expert(t);
    }

    public Router router(int t) {
        return t == frozenTasks() && newRouter != null ? newRouter : routers.router(t);
    }

    public ClassPerceptron perceptron(int t) {
        return t == frozenTasks() && newPerceptron != null ? newPerceptron : perceptrons.perceptron(t);
    }

    /**
     * Adds task {@code tasks()}: expert 0 and 1 start random (Kaiming-uniform), expert t >= 2 as the mean of
     * experts 0..t-2 (the reference leaves the newest older expert out); router trunc-normal std 0.02 with
     * zero bias; perceptron LayerNorm gain trunc-normal std 0.02 (a reference quirk) and a default Linear.
     */
    void beginTask(int classes, Random rng) {
        if (newExpert != null) {
            throw new IllegalStateException("task " + frozenTasks() + " is still being learned");
        }
        int t = frozenTasks();
        newExpert = t < 2 ? Expert.initial(width, expertDim, type, rng, manager) : meanOfFirst(t - 1);
        newRouter = new Router(Init.truncNormal(manager, rng, type, 0.02, t + 1, width),
                manager.zeros(new Shape(t + 1), type));
        double bound = 1 / Math.sqrt(width);
        newPerceptron = new ClassPerceptron(Init.truncNormal(manager, rng, type, 0.02, width),
                manager.zeros(new Shape(width), type), Init.uniform(manager, rng, type, bound, classes, width),
                Init.uniform(manager, rng, type, bound, classes));
    }

    /** Installs given parameters as the task being learned (golden tests, checkpoints). */
    void beginTask(Expert expert, Router router, ClassPerceptron perceptron) {
        if (newExpert != null) {
            throw new IllegalStateException("task " + frozenTasks() + " is still being learned");
        }
        if (router.width() != frozenTasks() + 1) {
            throw new IllegalArgumentException("router of task " + frozenTasks() + " needs "
                    + (frozenTasks() + 1) + " outputs, has " + router.width());
        }
        newExpert = expert;
        newRouter = router;
        newPerceptron = perceptron;
    }

    private Expert meanOfFirst(int n) {
        ExpertStack first = experts.prefix(n);
        Map<String, NDArray> mean = new LinkedHashMap<>();
        Expert view = new Expert(first.scale, first.lnW, first.lnB, first.downW, first.downB, first.upW,
                first.upB);
        view.parameters().forEach((k, v) -> {
            NDArray m = v.mean(new int[] {0});
            NDScope.unregister(m);
            m.attach(manager);
            mean.put(k, m);
        });
        if (first != experts) {
            // Views share the bank's storage: left open they would keep this bank alive after endTask.
            first.close();
        }
        return Expert.of(mean);
    }

    /** Freezes the task being learned into the banks. */
    void endTask() {
        if (newExpert == null) {
            throw new IllegalStateException("no task is being learned");
        }
        freeze(List.of(newExpert), List.of(newRouter), List.of(newPerceptron));
        newExpert = null;
        newRouter = null;
        newPerceptron = null;
    }

    /** Appends tasks to the banks in one copy each, then closes the given tensors. */
    private void freeze(List<Expert> addedExperts, List<Router> addedRouters,
            List<ClassPerceptron> addedPerceptrons) {
        ExpertStack grown = ExpertStack.concat(experts, addedExperts, manager);
        if (experts != null) {
            experts.close();
        }
        experts = grown;
        routers.appendAll(addedRouters);
        perceptrons.appendAll(addedPerceptrons);
        addedExperts.forEach(e -> closeAll(e.parameters().values()));
        addedRouters.forEach(r -> closeAll(List.of(r.weight(), r.bias())));
        addedPerceptrons.forEach(c -> closeAll(List.of(c.lnW(), c.lnB(), c.weight(), c.bias())));
    }

    private static void closeAll(java.util.Collection<NDArray> arrays) {
        arrays.forEach(NDArray::close);
    }

    /** Parameters of the task being learned plus the shared expert (what trains in this block). */
    List<NDArray> newTaskParameters() {
        List<NDArray> p = new ArrayList<>(newExpert.parameters().values());
        p.addAll(List.of(newRouter.weight(), newRouter.bias(), newPerceptron.lnW(), newPerceptron.lnB(),
                newPerceptron.weight(), newPerceptron.bias()));
        return p;
    }

    /** Parameters that grow with tasks, frozen and new, excluding the shared expert. */
    long taskParameterCount() {
        long n = routers.parameterCount() + perceptrons.parameterCount();
        if (experts != null) {
            n += experts.scale.size() + experts.lnW.size() + experts.lnB.size() + experts.downW.size()
                    + experts.downB.size() + experts.upW.size() + experts.upB.size();
        }
        if (newExpert != null) {
            for (NDArray a : newTaskParameters()) {
                n += a.size();
            }
        }
        return n;
    }

    /**
     * Runs the module.
     *
     * @param za post-attention tokens {@code [B, N, d]}
     * @param taskId the known task (training path, experts 0..taskId), or -1 for task-agnostic routing
     * @param dropout hidden-unit dropout of the experts (0 in evaluation)
     */
    public Output forward(NDArray za, int taskId, Routing routing, float dropout) {
        int total = tasks();
        int frozen = frozenTasks();
        boolean known = taskId >= 0;
        int used = known ? taskId + 1 : total;
        if (used < 1 || used > total) {
            throw new IllegalArgumentException("task " + taskId + " outside the " + total + " tasks known");
        }
        boolean includesNew = used > frozen;
        if (includesNew && !known) {
            throw new IllegalStateException("task-agnostic routing while task " + frozen + " is being learned");
        }
        // Routing makes tensors that grow with T (class-token rows of every expert, gathered router rows);
        // a scope per block frees them once the block is done, and autograd keeps what backward needs.
        Output out;
        try (NDScope scope = new NDScope()) {
            out = route(za, taskId, routing, dropout, used, includesNew);
            NDScope.unregister(out.branch());
            if (out.perceptronLogits() != null) {
                NDScope.unregister(out.perceptronLogits());
            }
        }
        NDScope.register(out.branch());
        if (out.perceptronLogits() != null) {
            NDScope.register(out.perceptronLogits());
        }
        return out;
    }

    private Output route(NDArray za, int taskId, Routing routing, float dropout, int used, boolean includesNew) {
        boolean known = taskId >= 0;
        int b = (int) za.getShape().get(0);
        NDArray sharedOut = shared.forward(za, dropout);
        if (used == 1) {
            NDArray out = expert(0).forward(za, dropout);
            NDArray logits = known ? perceptron(0).forward(out.get(":, 0, :")) : null;
            int[][] only = new int[b][];
            Arrays.setAll(only, i -> new int[] {0});
            return new Output(out.add(sharedOut), logits, only, only);
        }
        NDArray normed = VisionTransformer.layerNorm(za, ones, zeros, Expert.EPS);
        NDArray rows = classTokenRows(normed.get(":, 0, :"), used, includesNew, dropout);
        int[][] picked = known ? pickWithTask(rows, taskId) : pickAgnostic(rows, used);
        NDArray branch;
        int[][][] top;
        if (routing == Routing.DENSE) {
            NDArray logits = routerLogits(rows, picked, used, includesNew);
            top = topExperts(logits.toType(DataType.FLOAT64, false).toDoubleArray(), picked, used);
            branch = denseMix(za, logits, picked, top, used, dropout);
        } else {
            // All T logits of each picked router only choose its top K; the K that weigh are computed again
            // with gradients, so backward keeps K router rows per sample instead of T.
            NDArray scores = routerLogits(rows.stopGradient(), picked, used, includesNew);
            top = topExperts(scores.toType(DataType.FLOAT64, false).toDoubleArray(), picked, used);
            NDArray chosen = chosenLogits(rows, picked, top, used, includesNew);
            branch = sparseMix(normed, chosen, top, used, includesNew, dropout);
        }
        NDArray perceptronLogits = known ? perceptron(taskId).forward(rows.get(":, " + taskId + ", :")) : null;
        return new Output(branch.add(sharedOut), perceptronLogits, picked, distinct(top));
    }

    private NDArray classTokenRows(NDArray normedCls, int used, boolean includesNew, float dropout) {
        int frozenUsed = includesNew ? used - 1 : used;
        NDArray rows = frozenUsed > 0 ? experts.prefix(frozenUsed).rows(normedCls, dropout) : null;
        if (!includesNew) {
            return rows;
        }
        NDArray fresh = ExpertStack.of(newExpert).rows(normedCls, dropout);
        return rows == null ? fresh : NDArrays.concat(new NDList(rows, fresh), 1);
    }

    /** Router t plus the M - 1 lowest-entropy routers among 0..t-1 (all of them when M - 1 >= t). */
    private int[][] pickWithTask(NDArray rows, int t) {
        int b = (int) rows.getShape().get(0);
        int others = topRouters - 1;
        int[][] picked = new int[b][];
        if (others >= t) {
            for (int i = 0; i < b; i++) {
                picked[i] = new int[t + 1];
                Arrays.setAll(picked[i], j -> j);
            }
            return picked;
        }
        double[][] entropy = entropies(rows, t);
        for (int i = 0; i < b; i++) {
            int[] low = lowest(entropy[i], others);
            picked[i] = Arrays.copyOf(low, others + 1);
            picked[i][others] = t;
        }
        return picked;
    }

    private int[][] pickAgnostic(NDArray rows, int total) {
        int b = (int) rows.getShape().get(0);
        int[][] picked = new int[b][];
        if (topRouters >= total) {
            for (int i = 0; i < b; i++) {
                picked[i] = new int[total];
                Arrays.setAll(picked[i], j -> j);
            }
            return picked;
        }
        double[][] entropy = entropies(rows, total);
        for (int i = 0; i < b; i++) {
            picked[i] = lowest(entropy[i], topRouters);
        }
        return picked;
    }

    /** Entropy {@code -sum p log(p + 1e-10)} of each of the first {@code tasks} perceptrons, per sample. */
    private double[][] entropies(NDArray rows, int tasks) {
        // The picks are discrete, so no gradient flows through them: computed on detached rows, the
        // perceptron logits of all T tasks are not kept for the backward pass.
        NDArray logits = perceptrons.logits(rows.stopGradient(), tasks);
        int b = (int) rows.getShape().get(0);
        int classes = perceptrons.classOffset(tasks);
        double[] all = logits.toType(DataType.FLOAT64, false).toDoubleArray();
        double[][] h = new double[b][tasks];
        for (int i = 0; i < b; i++) {
            for (int t = 0; t < tasks; t++) {
                int from = i * classes + perceptrons.classOffset(t);
                int to = i * classes + perceptrons.classOffset(t + 1);
                double max = Double.NEGATIVE_INFINITY;
                for (int c = from; c < to; c++) {
                    max = Math.max(max, all[c]);
                }
                double sum = 0;
                for (int c = from; c < to; c++) {
                    sum += Math.exp(all[c] - max);
                }
                double entropy = 0;
                for (int c = from; c < to; c++) {
                    double p = Math.exp(all[c] - max) / sum;
                    entropy -= p * Math.log(p + 1e-10);
                }
                h[i][t] = entropy;
            }
        }
        return h;
    }

    /** Indices of the {@code k} smallest values, ascending by value (ties: lower index first). */
    static int[] lowest(double[] values, int k) {
        Integer[] order = new Integer[values.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (x, y) -> Double.compare(values[x], values[y]));
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = order[i];
        }
        return out;
    }

    private NDArray routerLogits(NDArray rows, int[][] picked, int used, boolean includesNew) {
        int b = picked.length;
        int r = picked[0].length;
        int fromBank = includesNew ? r - 1 : r;
        NDArray bank = null;
        if (fromBank > 0) {
            int[][] ids = new int[b][];
            for (int i = 0; i < b; i++) {
                ids[i] = Arrays.copyOf(picked[i], fromBank);
            }
            bank = routers.logits(rows, ids, used);
        }
        if (!includesNew) {
            return bank;
        }
        NDArray fresh = newRouter.forward(rows.get(":, " + (used - 1) + ", :")).expandDims(1);
        return bank == null ? fresh : NDArrays.concat(new NDList(bank, fresh), 1);
    }

    /** Logits {@code [B, R, K]} of each picked router's top-K experts, in the order of {@code top}. */
    private NDArray chosenLogits(NDArray rows, int[][] picked, int[][][] top, int used, boolean includesNew) {
        int b = picked.length;
        int r = picked[0].length;
        int k = topExperts;
        int fromBank = includesNew ? r - 1 : r;
        NDArray bank = null;
        if (fromBank > 0) {
            int[][] ids = new int[b][];
            int[][][] experts = new int[b][][];
            for (int i = 0; i < b; i++) {
                ids[i] = Arrays.copyOf(picked[i], fromBank);
                experts[i] = Arrays.copyOf(top[i], fromBank);
            }
            bank = routers.chosenLogits(rows, ids, experts, k);
        }
        if (!includesNew) {
            return bank;
        }
        long[] index = new long[b * k];
        for (int i = 0; i < b; i++) {
            int[] mine = top[i][r - 1];
            for (int q = 0; q < k; q++) {
                index[i * k + q] = q < mine.length ? mine[q] : 0;
            }
        }
        NDArray all = newRouter.forward(rows.get(":, " + (used - 1) + ", :"));
        NDArray fresh = all.gather(HostArrays.of(rows.getManager(), index, new Shape(b, k)), 1).expandDims(1);
        return bank == null ? fresh : NDArrays.concat(new NDList(bank, fresh), 1);
    }

    /** Per sample and picked router, its top-K experts among those it scores (descending logit). */
    private int[][][] topExperts(double[] logits, int[][] picked, int used) {
        int b = picked.length;
        int r = picked[0].length;
        int[][][] top = new int[b][r][];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < r; j++) {
                int real = picked[i][j] + 1;
                double[] row = Arrays.copyOfRange(logits, (i * r + j) * used, (i * r + j) * used + real);
                for (int e = 0; e < real; e++) {
                    row[e] = -row[e];
                }
                top[i][j] = lowest(row, Math.min(topExperts, real));
            }
        }
        return top;
    }

    private static int[][] distinct(int[][][] top) {
        int[][] out = new int[top.length][];
        for (int i = 0; i < top.length; i++) {
            out[i] = Arrays.stream(top[i]).flatMapToInt(Arrays::stream).distinct().toArray();
        }
        return out;
    }

    /** Reference weighting: top-K kept, the rest of each router's scores -100, absent experts -inf. */
    private NDArray denseMix(NDArray za, NDArray logits, int[][] picked, int[][][] top, int used,
            float dropout) {
        int b = picked.length;
        int r = picked[0].length;
        boolean masking = topExperts < used;
        float[] keep = new float[b * r * used];
        float[] fill = new float[b * r * used];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < r; j++) {
                int base = (i * r + j) * used;
                for (int e = 0; e < used; e++) {
                    fill[base + e] = e <= picked[i][j] ? -100f : Float.NEGATIVE_INFINITY;
                    keep[base + e] = masking ? 0f : 1f;
                }
                for (int e : top[i][j]) {
                    keep[base + e] = 1f;
                }
            }
        }
        NDManager temp = za.getManager();
        Shape shape = new Shape(b, r, used);
        NDArray masked = NDArrays.where(HostArrays.of(temp, keep, shape).gt(0.5f), logits,
                HostArrays.of(temp, fill, shape).toType(logits.getDataType(), false));
        NDArray weights = masked.softmax(2).sum(new int[] {1});
        NDArray out = null;
        for (int e = 0; e < used; e++) {
            // One scope per expert frees its intermediates at once (autograd keeps what backward needs);
            // otherwise every expert's activations would stay alive until the caller's scope ends.
            NDArray sum;
            try (NDScope scope = new NDScope()) {
                NDArray term = expert(e).forward(za, dropout).mul(weights.get(":, " + e).reshape(b, 1, 1));
                sum = out == null ? term : out.add(term);
                NDScope.unregister(sum);
            }
            if (out != null) {
                out.close();
            }
            out = sum;
        }
        NDScope.register(out);
        return out;
    }

    /**
     * Only the experts with a top-K weight, deduplicated per sample, in two batched products.
     *
     * @param chosen raw logits {@code [B, R, K]} of each router's top-K experts (entries beyond a router's
     *     expert count are ignored)
     */
    private NDArray sparseMix(NDArray normed, NDArray chosen, int[][][] top, int used, boolean includesNew,
            float dropout) {
        int b = top.length;
        int r = top[0].length;
        int k = topExperts;
        float[] pad = new float[b * r * k];
        int[][] slots = distinct(top);
        int width = Arrays.stream(slots).mapToInt(s -> s.length).max().orElse(1);
        float[] assign = new float[b * r * k * width];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < r; j++) {
                for (int q = 0; q < k; q++) {
                    int at = (i * r + j) * k + q;
                    if (q < top[i][j].length) {
                        assign[at * width + indexOf(slots[i], top[i][j][q])] = 1f;
                    } else {
                        pad[at] = Float.NEGATIVE_INFINITY;
                    }
                }
            }
        }
        NDManager temp = normed.getManager();
        DataType dt = chosen.getDataType();
        NDArray masked = chosen.add(HostArrays.of(temp, pad, new Shape(b, r, k)).toType(dt, false));
        NDArray weights = masked.softmax(2).reshape(b, 1, r * k)
                .matMul(HostArrays.of(temp, assign, new Shape(b, r * k, width)).toType(dt, false))
                .reshape(b, width);
        return slotExperts(slots, width, used, includesNew, temp).mix(normed, weights, dropout);
    }

    /** Stack of B * width experts in sample-major order; empty slots repeat a used expert at weight 0. */
    private ExpertStack slotExperts(int[][] slots, int width, int used, boolean includesNew, NDManager temp) {
        int fresh = includesNew ? used - 1 : -1;
        int[] distinct = Arrays.stream(slots).flatMapToInt(Arrays::stream).distinct().sorted().toArray();
        long[] frozenIds = Arrays.stream(distinct).filter(e -> e != fresh).asLongStream().toArray();
        boolean freshUsed = frozenIds.length < distinct.length;
        ExpertStack pool = frozenIds.length > 0 ? experts.take(HostArrays.of(temp, frozenIds, new Shape(frozenIds.length))) : null;
        if (freshUsed) {
            ExpertStack one = ExpertStack.of(newExpert);
            pool = pool == null ? one : pool.concat(one, null);
        }
        long[] position = new long[slots.length * width];
        for (int i = 0; i < slots.length; i++) {
            for (int s = 0; s < width; s++) {
                int e = s < slots[i].length ? slots[i][s] : slots[i][0];
                int p = Arrays.binarySearch(frozenIds, e);
                position[i * width + s] = e == fresh ? frozenIds.length : p;
            }
        }
        return pool.take(HostArrays.of(temp, position, new Shape(position.length)));
    }

    private static int indexOf(int[] values, int v) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] == v) {
                return i;
            }
        }
        throw new IllegalArgumentException(v + " not among " + Arrays.toString(values));
    }

    /** Adds this block's tensors under reference names ({@code shared_adapter.*}, {@code adapter.{t}.*}, ...). */
    void state(String prefix, Map<String, NDArray> out) {
        shared.parameters().forEach((k, v) -> out.put(prefix + "shared_adapter." + k, v));
        for (int t = 0; t < tasks(); t++) {
            String i = "." + t + ".";
            expert(t).parameters().forEach((k, v) -> out.put(prefix + "adapter" + i + k, v));
            Router r = router(t);
            out.put(prefix + "router" + i + "weight", r.weight());
            out.put(prefix + "router" + i + "bias", r.bias());
            ClassPerceptron c = perceptron(t);
            out.put(prefix + "latent_head" + i + "0.weight", c.lnW());
            out.put(prefix + "latent_head" + i + "0.bias", c.lnB());
            out.put(prefix + "latent_head" + i + "1.weight", c.weight());
            out.put(prefix + "latent_head" + i + "1.bias", c.bias());
        }
    }

    /**
     * Replaces this block's parameters by named tensors (names as {@link #state}), growing it to
     * {@code tasks} tasks; with {@code learning} the last task stays trainable.
     */
    void load(java.util.function.Function<String, NDArray> tensor, String prefix, int tasks, boolean learning) {
        if (tasks() != 0) {
            throw new IllegalStateException("load needs an empty block, this one has " + tasks() + " tasks");
        }
        closeAll(shared.parameters().values());
        shared = Expert.of(named(tensor, prefix + "shared_adapter."));
        List<Expert> loadedExperts = new ArrayList<>();
        List<Router> loadedRouters = new ArrayList<>();
        List<ClassPerceptron> loadedPerceptrons = new ArrayList<>();
        for (int t = 0; t < tasks; t++) {
            String i = "." + t + ".";
            Expert e = Expert.of(named(tensor, prefix + "adapter" + i));
            Router r = new Router(tensor.apply(prefix + "router" + i + "weight"),
                    tensor.apply(prefix + "router" + i + "bias"));
            if (r.width() != t + 1) {
                throw new IllegalArgumentException("router of task " + t + " needs " + (t + 1) + " outputs, has "
                        + r.width());
            }
            ClassPerceptron c = new ClassPerceptron(tensor.apply(prefix + "latent_head" + i + "0.weight"),
                    tensor.apply(prefix + "latent_head" + i + "0.bias"),
                    tensor.apply(prefix + "latent_head" + i + "1.weight"),
                    tensor.apply(prefix + "latent_head" + i + "1.bias"));
            loadedExperts.add(e);
            loadedRouters.add(r);
            loadedPerceptrons.add(c);
        }
        int frozen = learning ? tasks - 1 : tasks;
        if (frozen > 0) {
            freeze(loadedExperts.subList(0, frozen), loadedRouters.subList(0, frozen),
                    loadedPerceptrons.subList(0, frozen));
        }
        if (learning && tasks > 0) {
            beginTask(loadedExperts.get(tasks - 1), loadedRouters.get(tasks - 1),
                    loadedPerceptrons.get(tasks - 1));
        }
    }

    private static Map<String, NDArray> named(java.util.function.Function<String, NDArray> tensor,
            String prefix) {
        Map<String, NDArray> m = new LinkedHashMap<>();
        for (String n : Expert.NAMES) {
            m.put(n, tensor.apply(prefix + n));
        }
        return m;
    }

    void close() {
        if (experts != null) {
            experts.close();
        }
        routers.close();
        perceptrons.close();
        closeAll(shared.parameters().values());
        ones.close();
        zeros.close();
    }
}
