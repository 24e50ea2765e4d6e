package org.care4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.care4j.model.CareNetwork;
import org.care4j.model.VisionTransformer;

/**
 * A {@link CareNetwork} that has learned T synthetic tasks: every BR-MoE and classifier tensor is drawn at
 * random with a scale that makes routing depend on the input (LayerNorm gains {@code 1 + 0.2 z}, matrices
 * {@code z / sqrt(fan_in)}, expert scales {@code z}, other vectors {@code 0.1 z}, z standard normal), so
 * that samples of one batch select different routers and experts, as after real training. With the
 * published initialisation every expert scale is zero and every sample would route alike.
 */
final class SyntheticTasks {

    /** {@code backbone.adapter.adapter_layer{l}.{kind}[.{t}].{part}}. */
    private static final Pattern BLOCK_PART = Pattern.compile("backbone\\.adapter\\.adapter_layer\\d+\\."
            + "(shared_adapter|adapter|router|latent_head)(?:\\.(\\d+))?\\.(.+)");

    private SyntheticTasks() {}

    /**
     * @param learning whether the last task stays trainable (the training step's setting) or is frozen
     */
    static CareNetwork build(VisionTransformer backbone, CareNetwork.Settings settings, int tasks,
            int classesPerTask, boolean learning, long seed, NDManager manager) {
        Engine.getInstance().setRandomSeed((int) seed);
        int[] classes = new int[tasks];
        Arrays.fill(classes, classesPerTask);
        int d = backbone.width();
        return CareNetwork.fromState(backbone, settings, classes, learning,
                name -> tensor(name, d, settings, classesPerTask, manager), manager);
    }

    /** A random tensor for a BR-MoE or classifier parameter named as in {@link CareNetwork#state()}. */
    static NDArray tensor(String name, int d, CareNetwork.Settings settings, int classes, NDManager manager) {
        if (name.startsWith("fc.heads.")) {
            return matrix(manager, classes, d);
        }
        Matcher m = BLOCK_PART.matcher(name);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a BR-MoE tensor name: " + name);
        }
        String kind = m.group(1);
        String part = m.group(3);
        if (kind.equals("router")) {
            int t = Integer.parseInt(m.group(2));
            return part.equals("weight") ? matrix(manager, t + 1, d) : vector(manager, t + 1);
        }
        if (kind.equals("latent_head")) {
            return switch (part) {
                case "0.weight" -> gain(manager, d);
                case "1.weight" -> matrix(manager, classes, d);
                case "1.bias" -> vector(manager, classes);
                default -> vector(manager, d);
            };
        }
        int r = kind.equals("shared_adapter") ? settings.adapterDim() : settings.expertDim();
        return switch (part) {
            case "scale" -> manager.randomNormal(0, 1, new Shape(d), DataType.FLOAT32);
            case "adapter_layer_norm_before.weight" -> gain(manager, d);
            case "down_proj.weight" -> matrix(manager, r, d);
            case "down_proj.bias" -> vector(manager, r);
            case "up_proj.weight" -> matrix(manager, d, r);
            default -> vector(manager, d);
        };
    }

    private static NDArray gain(NDManager manager, long n) {
        return manager.randomNormal(1, 0.2f, new Shape(n), DataType.FLOAT32);
    }

    private static NDArray matrix(NDManager manager, long rows, long fanIn) {
        return manager.randomNormal(0, (float) (1 / Math.sqrt(fanIn)), new Shape(rows, fanIn), DataType.FLOAT32);
    }

    private static NDArray vector(NDManager manager, long n) {
        return manager.randomNormal(0, 0.1f, new Shape(n), DataType.FLOAT32);
    }
}
