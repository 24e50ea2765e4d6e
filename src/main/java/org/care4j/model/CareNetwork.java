package org.care4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.care4j.model.BrMoeBlock.Routing;

/**
 * The CaRE network: a frozen {@link VisionTransformer} with a {@link BrMoeBlock} parallel to the MLP of every
 * block ({@code z' = z_a + MLP(LN2(z_a)) + BRMoE(z_a)}), and a {@link CosineClassifier} on the class-token
 * feature.
 *
 * <p>Tasks are added with {@link #beginTask(int)}, trained, and frozen with {@link #endTask()}. Tensor names
 * of {@link #state()} follow the reference {@code CaRENet}: {@code backbone.adapter.adapter_layer{l}.*} and
 * {@code fc.heads.{t}.0.weight}.
 */
public final class CareNetwork implements AutoCloseable {

    /**
     * Sizes of the BR-MoE parts.
     *
     * @param expertDim bottleneck of task experts ({@code expert_dim}, 16)
     * @param adapterDim bottleneck of the shared expert ({@code adapter_dim}, 64)
     * @param topRouters M ({@code topk_routers}, 2)
     * @param topExperts K ({@code topk_experts}, 3)
     * @param dropout expert dropout in training (0.1)
     */
    public record Settings(int expertDim, int adapterDim, int topRouters, int topExperts, float dropout) {
        public Settings {
            if (expertDim < 1 || adapterDim < 1 || topRouters < 1 || topExperts < 1 || dropout < 0 || dropout >= 1) {
                throw new IllegalArgumentException("invalid BR-MoE settings " + this);
            }
        }

        /** The published setting: r = 16, shared r = 64, M = 2, K = 3, dropout 0.1. */
        public static Settings published() {
            return new Settings(16, 64, 2, 3, 0.1f);
        }
    }

    /**
     * One forward pass.
     *
     * @param features class-token feature {@code [B, d]}
     * @param perceptronLogits per block, the known task's perceptron logits (empty when task-agnostic)
     * @param routers per block, per sample, the picked router tasks
     * @param experts per block, per sample, the experts that received weight
     */
    public record Output(NDArray features, List<NDArray> perceptronLogits, List<int[][]> routers,
            List<int[][]> experts) {}

    private final VisionTransformer backbone;
    private final Settings settings;
    private final List<BrMoeBlock> blocks = new ArrayList<>();
    private final CosineClassifier classifier;
    private final NDManager manager;
    private final long seed;

    private CareNetwork(VisionTransformer backbone, Settings settings, long seed, NDManager manager) {
        this.backbone = backbone;
        this.settings = settings;
        this.manager = manager;
        this.seed = seed;
        Random rng = new Random(seed);
        DataType type = backbone.dataType();
        for (int i = 0; i < backbone.depth(); i++) {
            blocks.add(new BrMoeBlock(backbone.width(), settings.expertDim(), settings.adapterDim(),
                    settings.topRouters(), settings.topExperts(), type, rng, manager));
        }
        this.classifier = new CosineClassifier(backbone.width(), type, manager);
    }

    /** A network with no task yet; every initialiser draws from a generator seeded with {@code seed}. */
    public static CareNetwork create(VisionTransformer backbone, Settings settings, long seed,
            NDManager manager) {
        return new CareNetwork(backbone, settings, seed, manager);
    }

    /**
     * A network whose BR-MoE parts and classifier heads are read from reference-named tensors.
     *
     * @param classesPerTask class count of every task
     * @param learning whether the last task stays trainable (as during its training) or is frozen
     * @param tensor named tensor source, names as in {@link #state()}
     */
    public static CareNetwork fromState(VisionTransformer backbone, Settings settings, int[] classesPerTask,
            boolean learning, Function<String, NDArray> tensor, NDManager manager) {
        return fromState(backbone, settings, classesPerTask, learning, tensor, 0, manager);
    }

    /** As {@link #fromState(VisionTransformer, Settings, int[], boolean, Function, NDManager)}, with the seed
     * that later tasks' initialisers derive from. */
    public static CareNetwork fromState(VisionTransformer backbone, Settings settings, int[] classesPerTask,
            boolean learning, Function<String, NDArray> tensor, long seed, NDManager manager) {
        CareNetwork net = new CareNetwork(backbone, settings, seed, manager);
        for (int l = 0; l < net.blocks.size(); l++) {
            net.blocks.get(l).load(tensor, "backbone.adapter.adapter_layer" + l + ".", classesPerTask.length,
                    learning);
        }
        for (int t = 0; t < classesPerTask.length; t++) {
            net.classifier.addHead(tensor.apply("fc.heads." + t + ".0.weight"));
        }
        return net;
    }

    public VisionTransformer backbone() {
        return backbone;
    }

    public Settings settings() {
        return settings;
    }

    public List<BrMoeBlock> blocks() {
        return blocks;
    }

    public CosineClassifier classifier() {
        return classifier;
    }

    /** Tasks known, the one being learned included. */
    public int tasks() {
        return blocks.get(0).tasks();
    }

    /** Whether a task is being learned (begun and not yet frozen). */
    public boolean learning() {
        return blocks.get(0).tasks() > blocks.get(0).frozenTasks();
    }

    /** Adds a task of {@code classes} classes: new expert, router and perceptron per block, new head. */
    public void beginTask(int classes) {
        // One generator per task, derived from the run seed and the task index, so that a run resumed from a
        // checkpoint initialises later tasks exactly as an uninterrupted run does.
        Random rng = new Random(seed * 1_000_003L + tasks() + 1);
        for (BrMoeBlock b : blocks) {
            b.beginTask(classes, rng);
        }
        classifier.addHead(classes, rng);
    }

    /** Freezes the task being learned. */
    public void endTask() {
        blocks.forEach(BrMoeBlock::endTask);
    }

    /**
     * Runs images through the network.
     *
     * @param images {@code [B, 3, S, S]}
     * @param taskId known task for the training path, or -1 for task-agnostic routing
     * @param training whether expert dropout is active
     */
    public Output forward(NDArray images, int taskId, Routing routing, boolean training) {
        float dropout = training ? settings.dropout() : 0f;
        List<NDArray> logits = new ArrayList<>();
        List<int[][]> routers = new ArrayList<>();
        List<int[][]> experts = new ArrayList<>();
        NDArray features = backbone.forward(images, (i, za) -> {
            BrMoeBlock.Output o = blocks.get(i).forward(za, taskId, routing, dropout);
            if (o.perceptronLogits() != null) {
                logits.add(o.perceptronLogits());
            }
            routers.add(o.routers());
            experts.add(o.experts());
            return o.branch();
        });
        return new Output(features, logits, routers, experts);
    }

    /** Cosine logits {@code [B, C]} of all heads. */
    public NDArray logits(NDArray features) {
        return classifier.forward(features);
    }

    /**
     * What trains while a task is learned: per block the new expert, router and perceptron and the shared
     * expert, plus every classifier head.
     */
    public List<NDArray> trainableParameters() {
        List<NDArray> p = new ArrayList<>();
        for (BrMoeBlock b : blocks) {
            p.addAll(b.newTaskParameters());
            p.addAll(b.shared().parameters().values());
        }
        p.addAll(classifier.heads());
        return p;
    }

    /** Parameters that grow with tasks (experts, routers, perceptrons, heads), summed over blocks. */
    public long taskParameterCount() {
        long n = blocks.stream().mapToLong(BrMoeBlock::taskParameterCount).sum();
        return n + classifier.heads().stream().mapToLong(NDArray::size).sum();
    }

    /** Every BR-MoE and classifier tensor by reference name. */
    public Map<String, NDArray> state() {
        Map<String, NDArray> s = new LinkedHashMap<>();
        for (int l = 0; l < blocks.size(); l++) {
            blocks.get(l).state("backbone.adapter.adapter_layer" + l + ".", s);
        }
        for (int t = 0; t < classifier.heads().size(); t++) {
            s.put("fc.heads." + t + ".0.weight", classifier.heads().get(t));
        }
        return s;
    }

    @Override
    public void close() {
        blocks.forEach(BrMoeBlock::close);
        classifier.close();
    }
}
