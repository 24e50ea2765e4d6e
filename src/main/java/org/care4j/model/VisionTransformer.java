package org.care4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.care4j.io.SafeTensors;
import org.care4j.runtime.CareException;
import org.care4j.runtime.Scalar;

/**
 * A frozen pre-norm Vision Transformer in timm layout.
 *
 * <p>Input images {@code [B, 3, H, W]}; tokens {@code z: [B, N, D]} with {@code N = 1 + (H/P)(W/P)}. Every
 * block computes {@code z_a = z + MHSA(LN1(z))} and {@code z' = z_a + MLP(LN2(z_a)) + branch(z_a)}, where
 * the optional branch is the BR-MoE module of that block. LayerNorms use eps 1e-6, GELU is the exact (erf)
 * form, and the feature is the class token after the final LayerNorm.
 *
 * <p>No weight here ever requires a gradient, but gradients flow through every operation to whatever a
 * branch adds, so adapters inside later blocks train end to end.
 */
public final class VisionTransformer {

    static final float EPS = 1e-6f;

    /** Adds a branch's output to a block: {@code z' = z_a + MLP(LN2(z_a)) + apply(block, z_a)}. */
    @FunctionalInterface
    public interface BlockBranch {
        /** Returns the branch output {@code [B, N, D]} for block {@code block}, or null for none. */
        NDArray apply(int block, NDArray afterAttention);
    }

    /** Shape of a ViT, read from the tensor shapes of a checkpoint (heads from the timm convention). */
    public record Architecture(int depth, int width, int heads, int patch, int mlpWidth, int pretrainGrid) {
        public Architecture {
            if (heads < 1 || width % heads != 0) {
                throw new IllegalArgumentException("width " + width + " is not divisible into " + heads + " heads");
            }
        }

        /** ViT-Ti/16: depth 12, width 192, 3 heads. */
        public static Architecture vitTiny() {
            return new Architecture(12, 192, 3, 16, 768, 14);
        }

        /** ViT-B/16: depth 12, width 768, 12 heads. */
        public static Architecture vitBase() {
            return new Architecture(12, 768, 12, 16, 3072, 14);
        }
    }

    private record Block(NDArray norm1W, NDArray norm1B, NDArray qkvW, NDArray qkvB, NDArray projW,
            NDArray projB, NDArray norm2W, NDArray norm2B, NDArray fc1W, NDArray fc1B, NDArray fc2W,
            NDArray fc2B) {}

    private final Architecture arch;
    private final int imageSize;
    private final DataType dataType;
    private final NDArray patchW;
    private final NDArray patchB;
    private final NDArray clsToken;
    private final NDArray posEmbed;
    private final List<Block> blocks;
    private final NDArray normW;
    private final NDArray normB;
    private final NDArray headW;
    private final NDArray headB;

    private VisionTransformer(Architecture arch, int imageSize, DataType dataType, NDArray patchW,
            NDArray patchB, NDArray clsToken, NDArray posEmbed, List<Block> blocks, NDArray normW,
            NDArray normB, NDArray headW, NDArray headB) {
        this.arch = arch;
        this.imageSize = imageSize;
        this.dataType = dataType;
        this.patchW = patchW;
        this.patchB = patchB;
        this.clsToken = clsToken;
        this.posEmbed = posEmbed;
        this.blocks = blocks;
        this.normW = normW;
        this.normB = normB;
        this.headW = headW;
        this.headB = headB;
    }

    /**
     * Loads a timm-layout ViT from safetensors; depth, width, patch size and MLP width come from the tensor
     * shapes. Accepts {@code attn.qkv} or separate {@code attn.q_proj/k_proj/v_proj}, and {@code mlp.fc1} or
     * {@code fc1}.
     *
     * @param prefix name prefix inside the file ("" for a plain timm checkpoint, "backbone." for CaRENet)
     * @param heads attention heads, or 0 for the timm convention width / 64
     * @param imageSize input side length; position embeddings are resized bicubically when it differs
     */
    public static VisionTransformer load(SafeTensors weights, String prefix, int heads, int imageSize,
            DataType dataType, NDManager manager) throws IOException {
        Loader in = new Loader(weights, prefix, dataType, manager);
        long[] pos = in.shape("pos_embed");
        long[] conv = in.shape("patch_embed.proj.weight");
        int width = (int) pos[2];
        int patch = (int) conv[2];
        int depth = 0;
        while (weights.contains(prefix + "blocks." + depth + ".norm1.weight")) {
            depth++;
        }
        if (depth == 0) {
            throw new CareException(weights.file() + ": no tensor '" + prefix
                    + "blocks.0.norm1.weight'; is this a timm ViT checkpoint?");
        }
        int grid = (int) Math.round(Math.sqrt(pos[1] - 1));
        if (grid * grid != pos[1] - 1) {
            throw new CareException(weights.file() + ": pos_embed has " + pos[1]
                    + " positions, not 1 + a square grid");
        }
        String mlp = weights.contains(prefix + "blocks.0.mlp.fc1.weight") ? "mlp." : "";
        int mlpWidth = (int) in.shape("blocks.0." + mlp + "fc1.weight")[0];
        int h = heads > 0 ? heads : width / 64;
        if (h == 0 || width % h != 0) {
            throw new CareException(weights.file() + ": width " + width
                    + " does not follow the 64-per-head convention; give the number of heads");
        }
        Architecture arch = new Architecture(depth, width, h, patch, mlpWidth, grid);
        checkImageSize(arch, imageSize);
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < depth; i++) {
            String b = "blocks." + i + ".";
            NDArray qkvW;
            NDArray qkvB;
            if (weights.contains(prefix + b + "attn.qkv.weight")) {
                qkvW = in.get(b + "attn.qkv.weight");
                qkvB = in.get(b + "attn.qkv.bias");
            } else {
                qkvW = NDArrays.concat(new NDList(in.get(b + "attn.q_proj.weight"),
                        in.get(b + "attn.k_proj.weight"), in.get(b + "attn.v_proj.weight")));
                qkvB = NDArrays.concat(new NDList(in.get(b + "attn.q_proj.bias"), in.get(b + "attn.k_proj.bias"),
                        in.get(b + "attn.v_proj.bias")));
            }
            blocks.add(new Block(in.get(b + "norm1.weight"), in.get(b + "norm1.bias"), qkvW, qkvB,
                    in.get(b + "attn.proj.weight"), in.get(b + "attn.proj.bias"), in.get(b + "norm2.weight"),
                    in.get(b + "norm2.bias"), in.get(b + mlp + "fc1.weight"), in.get(b + mlp + "fc1.bias"),
                    in.get(b + mlp + "fc2.weight"), in.get(b + mlp + "fc2.bias")));
        }
        NDArray posEmbed = resizePositions(in.get("pos_embed"), grid, imageSize / patch, width);
        boolean hasHead = weights.contains(prefix + "head.weight");
        return new VisionTransformer(arch, imageSize, dataType, in.get("patch_embed.proj.weight"),
                in.get("patch_embed.proj.bias"), in.get("cls_token"), posEmbed, blocks, in.get("norm.weight"),
                in.get("norm.bias"), hasHead ? in.get("head.weight") : null, hasHead ? in.get("head.bias") : null);
    }

    /**
     * A ViT of seeded random weights (normal, std 0.02; LayerNorm gains near 1) for tests and benchmarks.
     */
    public static VisionTransformer random(Architecture arch, int imageSize, DataType dataType, long seed,
            NDManager manager) {
        checkImageSize(arch, imageSize);
        Random rng = new Random(seed);
        int d = arch.width();
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < arch.depth(); i++) {
            blocks.add(new Block(gain(manager, rng, d, dataType), normal(manager, rng, dataType, 0.02, d),
                    normal(manager, rng, dataType, 0.02, 3 * d, d), normal(manager, rng, dataType, 0.02, 3 * d),
                    normal(manager, rng, dataType, 0.02, d, d), normal(manager, rng, dataType, 0.02, d),
                    gain(manager, rng, d, dataType), normal(manager, rng, dataType, 0.02, d),
                    normal(manager, rng, dataType, 0.02, arch.mlpWidth(), d),
                    normal(manager, rng, dataType, 0.02, arch.mlpWidth()),
                    normal(manager, rng, dataType, 0.02, d, arch.mlpWidth()),
                    normal(manager, rng, dataType, 0.02, d)));
        }
        int grid = arch.pretrainGrid();
        NDArray pos = normal(manager, rng, dataType, 0.02, 1, 1 + grid * grid, d);
        return new VisionTransformer(arch, imageSize, dataType,
                normal(manager, rng, dataType, 0.02, d, 3, arch.patch(), arch.patch()),
                normal(manager, rng, dataType, 0.02, d), normal(manager, rng, dataType, 0.02, 1, 1, d),
                resizePositions(pos, grid, imageSize / arch.patch(), d), blocks, gain(manager, rng, d, dataType),
                normal(manager, rng, dataType, 0.02, d), null, null);
    }

    public Architecture architecture() {
        return arch;
    }

    public int imageSize() {
        return imageSize;
    }

    public DataType dataType() {
        return dataType;
    }

    public int depth() {
        return arch.depth();
    }

    public int width() {
        return arch.width();
    }

    /** Number of frozen parameters (patch embedding, tokens, blocks, final norm, head if present). */
    public long parameterCount() {
        long n = patchW.size() + patchB.size() + clsToken.size() + posEmbed.size() + normW.size() + normB.size();
        for (Block b : blocks) {
            for (NDArray a : List.of(b.norm1W, b.norm1B, b.qkvW, b.qkvB, b.projW, b.projB, b.norm2W, b.norm2B,
                    b.fc1W, b.fc1B, b.fc2W, b.fc2B)) {
                n += a.size();
            }
        }
        return headW == null ? n : n + headW.size() + headB.size();
    }

    /** Whether any backbone weight is marked for gradients (never, unless someone changed it). */
    public boolean anyWeightRequiresGradient() {
        boolean any = patchW.hasGradient() || clsToken.hasGradient() || posEmbed.hasGradient();
        for (Block b : blocks) {
            any |= b.qkvW.hasGradient() || b.fc1W.hasGradient() || b.fc2W.hasGradient() || b.projW.hasGradient();
        }
        return any || normW.hasGradient();
    }

    /**
     * Runs the whole network.
     *
     * @param images {@code [B, 3, S, S]} with S = {@link #imageSize()}
     * @param branch what each block adds after attention, or null for the plain backbone
     * @return the class-token feature {@code [B, D]} after the final LayerNorm
     */
    public NDArray forward(NDArray images, BlockBranch branch) {
        NDArray z = embed(images);
        for (int i = 0; i < blocks.size(); i++) {
            z = block(i, z, branch);
        }
        return feature(z);
    }

    /** Patch embedding, class token and position embedding: {@code [B, 3, S, S] -> [B, N, D]}. */
    public NDArray embed(NDArray images) {
        long[] s = images.getShape().getShape();
        if (s.length != 4 || s[1] != 3 || s[2] != imageSize || s[3] != imageSize) {
            throw new IllegalArgumentException("expected images [B, 3, " + imageSize + ", " + imageSize
                    + "], got " + images.getShape());
        }
        NDArray x = Conv2d.conv2d(images, patchW, patchB, new Shape(arch.patch(), arch.patch()),
                new Shape(0, 0), new Shape(1, 1), 1).singletonOrThrow();
        long b = s[0];
        x = x.reshape(b, arch.width(), -1).transpose(0, 2, 1);
        NDArray cls = clsToken.broadcast(new Shape(b, 1, arch.width()));
        return cls.concat(x, 1).add(posEmbed);
    }

    /** One transformer block with an optional branch after attention. */
    public NDArray block(int index, NDArray z, BlockBranch branch) {
        NDArray za = attention(index, z);
        NDArray out = za.add(mlp(index, za));
        if (branch != null) {
            NDArray extra = branch.apply(index, za);
            if (extra != null) {
                out = out.add(extra);
            }
        }
        return out;
    }

    /** {@code z_a = z + proj(softmax(q k^T / sqrt(d_h)) v)} on {@code LN1(z)}. */
    NDArray attention(int index, NDArray z) {
        Block blk = blocks.get(index);
        long[] s = z.getShape().getShape();
        long b = s[0];
        long n = s[1];
        int heads = arch.heads();
        int headDim = arch.width() / heads;
        NDArray h = layerNorm(z, blk.norm1W, blk.norm1B, EPS);
        NDArray qkv = Linear.linear(h, blk.qkvW, blk.qkvB).singletonOrThrow()
                .reshape(b, n, 3, heads, headDim).transpose(2, 0, 3, 1, 4);
        NDArray q = Scalar.times(qkv.get(0), 1.0 / Math.sqrt(headDim));
        NDArray k = qkv.get(1);
        NDArray v = qkv.get(2);
        NDArray attn = q.matMul(k.transpose(0, 1, 3, 2)).softmax(-1);
        NDArray mixed = attn.matMul(v).transpose(0, 2, 1, 3).reshape(b, n, arch.width());
        return z.add(Linear.linear(mixed, blk.projW, blk.projB).singletonOrThrow());
    }

    /** {@code fc2(GELU(fc1(LN2(z_a))))}, without the residual. */
    NDArray mlp(int index, NDArray za) {
        Block blk = blocks.get(index);
        NDArray h = layerNorm(za, blk.norm2W, blk.norm2B, EPS);
        h = Activation.gelu(Linear.linear(h, blk.fc1W, blk.fc1B).singletonOrThrow());
        return Linear.linear(h, blk.fc2W, blk.fc2B).singletonOrThrow();
    }

    /** Final LayerNorm of the class token: {@code [B, N, D] -> [B, D]}. */
    public NDArray feature(NDArray z) {
        return layerNorm(z.get(":, 0, :"), normW, normB, EPS);
    }

    /** The pre-training head's logits {@code [B, classes]}; only for checkpoints that carry a head. */
    public NDArray headLogits(NDArray feature) {
        if (headW == null) {
            throw new IllegalStateException("this checkpoint has no classification head");
        }
        return Linear.linear(feature, headW, headB).singletonOrThrow();
    }

    static NDArray layerNorm(NDArray x, NDArray gain, NDArray bias, float eps) {
        NDList out = LayerNorm.layerNorm(x, new Shape(x.getShape().get(x.getShape().dimension() - 1)), gain,
                bias, eps);
        return out.singletonOrThrow();
    }

    private static void checkImageSize(Architecture arch, int imageSize) {
        if (imageSize <= 0 || imageSize % arch.patch() != 0) {
            throw new CareException("image size " + imageSize + " is not a positive multiple of the patch size "
                    + arch.patch());
        }
    }

    private static NDArray resizePositions(NDArray pos, int oldGrid, int newGrid, int width) {
        if (oldGrid == newGrid) {
            return pos;
        }
        double[] all = pos.toType(DataType.FLOAT64, false).toDoubleArray();
        // [1 + g*g, D] row-major -> channels-first grid [D, g, g] without the class position.
        double[] grid = new double[width * oldGrid * oldGrid];
        for (int p = 0; p < oldGrid * oldGrid; p++) {
            for (int c = 0; c < width; c++) {
                grid[c * oldGrid * oldGrid + p] = all[(1 + p) * width + c];
            }
        }
        double[] resized = BicubicResampler.resize(grid, width, oldGrid, oldGrid, newGrid, newGrid);
        double[] out = new double[(1 + newGrid * newGrid) * width];
        System.arraycopy(all, 0, out, 0, width);
        for (int p = 0; p < newGrid * newGrid; p++) {
            for (int c = 0; c < width; c++) {
                out[(1 + p) * width + c] = resized[c * newGrid * newGrid + p];
            }
        }
        NDManager manager = pos.getManager();
        return manager.create(out, new Shape(1, 1 + (long) newGrid * newGrid, width)).toType(pos.getDataType(),
                false);
    }

    private static NDArray normal(NDManager manager, Random rng, DataType type, double std, long... shape) {
        int n = (int) new Shape(shape).size();
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = rng.nextGaussian() * std;
        }
        return Init.create(manager, v, new Shape(shape), type);
    }

    private static NDArray gain(NDManager manager, Random rng, int width, DataType type) {
        try (NDArray deviation = normal(manager, rng, type, 0.02, width)) {
            return deviation.add(1);
        }
    }

    /** Reads named tensors under a prefix, with errors that name the file and the tensor. */
    private static final class Loader {
        final SafeTensors weights;
        final String prefix;
        final DataType type;
        final NDManager manager;

        Loader(SafeTensors weights, String prefix, DataType type, NDManager manager) {
            this.weights = weights;
            this.prefix = prefix;
            this.type = type;
            this.manager = manager;
        }

        long[] shape(String name) {
            require(name);
            return weights.info(prefix + name).shape();
        }

        NDArray get(String name) {
            require(name);
            return weights.toNDArray(manager, prefix + name, type);
        }

        private void require(String name) {
            if (!weights.contains(prefix + name)) {
                throw new CareException(weights.file() + ": missing tensor '" + prefix + name
                        + "' of a timm ViT checkpoint");
            }
        }
    }
}
