package org.care4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.ImageIO;
import org.care4j.GoldenFile;
import org.care4j.io.SafeTensors;
import org.junit.jupiter.api.Test;

/** The frozen ViT: real pretrained weights against independent golden outputs, and gradient flow. */
class VisionTransformerTest {

    private static final Path PROBES = GoldenFile.shared().resolve("data/imagenet-probes");

    @Test
    void pretrainedVitTinyMatchesIndependentGoldenOutputsOnSeventeenPhotos() throws Exception {
        JsonNode golden = new ObjectMapper().readTree(PROBES.resolve("golden.json").toFile());
        JsonNode samples = golden.get("samples");
        assertEquals(17, samples.size());
        Path weights = GoldenFile.shared().resolve("models/vit-tiny-patch16-224/model.safetensors");
        try (SafeTensors st = SafeTensors.open(weights);
                NDManager manager = NDManager.newBaseManager();
                NDScope scope = new NDScope()) {
            VisionTransformer vit = VisionTransformer.load(st, "", 0, 224, DataType.FLOAT32, manager);
            assertEquals(5_717_416, vit.parameterCount());
            assertEquals(12, vit.depth());
            assertEquals(3, vit.architecture().heads());
            float[] pixels = new float[samples.size() * 3 * 224 * 224];
            for (int i = 0; i < samples.size(); i++) {
                BufferedImage img = ImageIO.read(PROBES.resolve(samples.get(i).get("file").asText()).toFile());
                for (int y = 0; y < 224; y++) {
                    for (int x = 0; x < 224; x++) {
                        int rgb = img.getRGB(x, y);
                        for (int c = 0; c < 3; c++) {
                            int v = (rgb >> (16 - 8 * c)) & 0xff;
                            pixels[((i * 3 + c) * 224 + y) * 224 + x] = (v / 255f - 0.5f) / 0.5f;
                        }
                    }
                }
            }
            NDArray images = manager.create(pixels, new Shape(samples.size(), 3, 224, 224));
            NDArray features = vit.forward(images, null);
            NDArray logits = vit.headLogits(features);
            float[] f = features.toFloatArray();
            float[] z = logits.toFloatArray();
            for (int i = 0; i < samples.size(); i++) {
                JsonNode s = samples.get(i);
                String what = s.get("file").asText();
                int[] top = topK(z, i * 1000, 1000, 5);
                for (int k = 0; k < 5; k++) {
                    assertEquals(s.get("top5").get(k).asInt(), top[k], what + " top-" + (k + 1));
                    assertEquals(s.get("logits_top5").get(k).asDouble(), z[i * 1000 + top[k]], 1e-3,
                            what + " logit " + k);
                }
                double norm = 0;
                for (int j = 0; j < 192; j++) {
                    norm += (double) f[i * 192 + j] * f[i * 192 + j];
                    if (j < 8) {
                        assertEquals(s.get("feature_first8").get(j).asDouble(), f[i * 192 + j], 1e-3,
                                what + " feature " + j);
                    }
                }
                assertEquals(s.get("feature_norm").asDouble(), Math.sqrt(norm), 1e-3, what + " feature norm");
            }
        }
    }

    @Test
    void randomVitAtInputSize96HasInterpolatedPositionsAndPassesGradientsOnlyToLaterParameters() {
        try (NDManager manager = NDManager.newBaseManager(); NDScope scope = new NDScope()) {
            VisionTransformer.Architecture arch = new VisionTransformer.Architecture(3, 48, 3, 16, 96, 14);
            VisionTransformer vit = VisionTransformer.random(arch, 96, DataType.FLOAT32, 7, manager);
            NDArray images = manager.randomNormal(new Shape(2, 3, 96, 96));
            NDArray tokens = vit.embed(images);
            assertArrayEquals(new long[] {2, 37, 48}, tokens.getShape().getShape(), "1 + 6x6 tokens");
            NDArray probe = manager.zeros(new Shape(48));
            probe.setRequiresGradient(true);
            NDArray feature;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                feature = vit.forward(images, (block, za) -> block == 1 ? za.mul(probe) : null);
                gc.backward(feature.sum());
            }
            assertArrayEquals(new long[] {2, 48}, feature.getShape().getShape());
            NDArray grad = probe.getGradient();
            assertNotNull(grad);
            assertTrue(grad.abs().sum().getFloat() > 0, "gradient reaches the parameter after block 0");
            assertTrue(!vit.anyWeightRequiresGradient(), "backbone weights never require gradients");
        }
    }

    @Test
    void bicubicResizeOfAConstantGridIsConstantAndOfARampStaysMonotone() {
        double[] constant = new double[2 * 14 * 14];
        java.util.Arrays.fill(constant, 3.5);
        for (double v : BicubicResampler.resize(constant, 2, 14, 14, 6, 6)) {
            assertEquals(3.5, v, 1e-12);
        }
        double[] ramp = new double[4 * 4];
        for (int i = 0; i < 16; i++) {
            ramp[i] = i % 4;
        }
        double[] up = BicubicResampler.resize(ramp, 1, 4, 4, 8, 8);
        // By hand: output 0 has centre 0.25 and taps at inputs 0 and 1 (the border cuts the rest), kernel
        // weights cubic(0.25) = 0.8671875 and cubic(1.25) = -0.0703125, renormalised by their sum 0.796875.
        assertEquals(-0.0703125 / 0.796875, up[0], 1e-12);
        for (int x = 1; x < 8; x++) {
            assertTrue(up[x] >= up[x - 1] - 1e-12, "monotone along the ramp");
        }
        assertEquals(1.5, (up[3] + up[4]) / 2, 1e-12, "symmetric around the centre");
    }

    private static int[] topK(float[] v, int offset, int n, int k) {
        Integer[] idx = new Integer[n];
        for (int i = 0; i < n; i++) {
            idx[i] = i;
        }
        java.util.Arrays.sort(idx, (a, b) -> Float.compare(v[offset + b], v[offset + a]));
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = idx[i];
        }
        return out;
    }
}
