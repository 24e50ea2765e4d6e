package org.care4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A frozen {@link VisionTransformer} with one bottleneck adapter ({@link Expert}) parallel to the MLP of every
 * block, where AdaptFormer puts it: {@code z' = z_a + MLP(LN2(z_a)) + E_l(z_a)}. Input images
 * {@code [B, 3, S, S]}; output the class-token feature after the final LayerNorm, {@code [B, d]}.
 *
 * <p>The baselines' adapter: APER-Adapter trains it on the first task only, the fine-tuning baseline on every
 * task. It is CaRE's adapter, so it differs from the AdaptFormer module of APER's code in two ways: a LayerNorm
 * before the down projection, and a learnable per-channel scale that starts at 0 instead of a fixed scale of 0.1
 * with an up projection that starts at 0. Either way the adapted network starts equal to the frozen one.
 *
 * <p>Tensor names of {@link #state(String)}: {@code <prefix>blocks.<l>.<name>} with the names of
 * {@link Expert#NAMES}.
 */
public final class AdaptFormer implements AutoCloseable {

    private final VisionTransformer backbone;
    private final List<Expert> adapters;
    private final float dropout;
    private final NDManager manager;

    private AdaptFormer(VisionTransformer backbone, List<Expert> adapters, float dropout, NDManager manager) {
        this.backbone = backbone;
        this.adapters = adapters;
        this.dropout = dropout;
        this.manager = manager;
    }

    /**
     * Fresh adapters for every block of {@code backbone}, drawn from a generator seeded with {@code seed}.
     *
     * @param bottleneck hidden width r of each adapter ({@code adapter_dim})
     * @param dropout hidden-unit dropout while training
     */
    public static AdaptFormer create(VisionTransformer backbone, int bottleneck, float dropout, long seed,
            NDManager parent) {
        if (bottleneck < 1 || dropout < 0 || dropout >= 1) {
            throw new IllegalArgumentException("invalid adapter: bottleneck " + bottleneck + ", dropout "
                    + dropout);
        }
        NDManager manager = parent.newSubManager();
        Random rng = new Random(seed);
        List<Expert> adapters = new ArrayList<>();
        for (int l = 0; l < backbone.depth(); l++) {
            adapters.add(Expert.initial(backbone.width(), bottleneck, backbone.dataType(), rng, manager));
        }
        return new AdaptFormer(backbone, Collections.unmodifiableList(adapters), dropout, manager);
    }

    public VisionTransformer backbone() {
        return backbone;
    }

    /** One adapter per block, block 0 first. */
    public List<Expert> adapters() {
        return adapters;
    }

    /**
     * The adapted class-token feature.
     *
     * @param images {@code [B, 3, S, S]} in the backbone's data type
     * @param training whether adapter dropout is active
     * @return {@code [B, d]}
     */
    public NDArray forward(NDArray images, boolean training) {
        float p = training ? dropout : 0f;
        return backbone.forward(images, (l, za) -> adapters.get(l).forward(za, p));
    }

    /** Every adapter parameter, block by block in {@link Expert#NAMES} order. */
    public List<NDArray> parameters() {
        List<NDArray> p = new ArrayList<>();
        adapters.forEach(a -> p.addAll(a.parameters().values()));
        return p;
    }

    /** Number of adapter values. */
    public long parameterCount() {
        return parameters().stream().mapToLong(NDArray::size).sum();
    }

    /** Marks every adapter parameter as trainable or frozen. */
    public void setTrainable(boolean trainable) {
        adapters.forEach(a -> a.setTrainable(trainable));
    }

    /** Adapter tensors by name, {@code prefix + "blocks." + l + "." + name}. */
    public Map<String, NDArray> state(String prefix) {
        Map<String, NDArray> s = new LinkedHashMap<>();
        for (int l = 0; l < adapters.size(); l++) {
            String block = prefix + "blocks." + l + ".";
            adapters.get(l).parameters().forEach((name, value) -> s.put(block + name, value));
        }
        return s;
    }

    /** Frees the adapters; the backbone belongs to the caller. */
    @Override
    public void close() {
        manager.close();
    }
}
