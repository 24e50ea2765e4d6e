package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.care4j.data.Resampler.Filter;
import org.care4j.data.Transforms.Crop;
import org.care4j.data.Transforms.Geometry;
import org.care4j.data.Transforms.StandardTransform;
import org.junit.jupiter.api.Test;

/**
 * The protocol's transforms. Fixed parts are checked byte for byte against Pillow 9.4
 * (torchvision's Resize/CenterCrop are PIL resize and crop), random parts by the ranges torchvision
 * draws from.
 */
class TransformsTest {

    @Test
    void imageFolderTestResizesTheShorterSideTo256AndCropsTheCentre() {
        // PIL: resize((341, 256), BICUBIC).crop((58, 16, 282, 240)); 58 = round(58.5) half to even
        float[] out =
                Transforms.imageFolderTest(224)
                        .apply(ResamplerTest.source(500, 375), new SplittableRandom(0));
        assertEquals(
                "6eced9c021bfd35d8cb2b60402a20623404a4f16dcaab1b640feb75eb08af66c",
                ResamplerTest.sha256(toHwcBytes(out, 224, false)));
        float[] portrait =
                Transforms.imageFolderTest(224)
                        .apply(ResamplerTest.source(375, 500), new SplittableRandom(0));
        assertEquals(
                "4903ac7e3fba5e0a9c373c7e3e32a474372a4cbcde356c704bb929df273e05f7",
                ResamplerTest.sha256(toHwcBytes(portrait, 224, false)));
    }

    @Test
    void cifarTestUpscalesTo256CropsAndNormalises() {
        float[] out =
                Transforms.cifarTest(224)
                        .apply(ResamplerTest.source(32, 32), new SplittableRandom(0));
        assertEquals(3 * 224 * 224, out.length);
        assertEquals(
                "34ff983e2298b814f042e1e3d9212c56f118163d91ff12f40724b51971459d8d",
                ResamplerTest.sha256(toHwcBytes(out, 224, true)));
        float[] small =
                Transforms.cifarTest(112)
                        .apply(ResamplerTest.source(32, 32), new SplittableRandom(0));
        assertEquals(
                "5f574755778035af522923f720c7fa3f98ac34cdf28675989a1bc11184a54ed6",
                ResamplerTest.sha256(toHwcBytes(small, 112, true)));
        // normalisation: 0 -> -1, 255 -> 1
        float[] black =
                Transforms.cifarTest(224).apply(new RgbImage(32, 32, new byte[32 * 32 * 3]), null);
        assertEquals(-1f, black[0]);
    }

    @Test
    void brightnessIsPilImageEnhanceBrightness() {
        // sha256 of ImageEnhance.Brightness(ramp 0..255).enhance(f) per factor, from Pillow 9.4
        String[][] golden = {
            {"0.75", "30410c2e54c0d0d8c749aacea830ccc92f3d8d7c47ed2d0acc961b0746abb88f"},
            {"0.8", "8696c606794701f407562ce0613392659e9471bec7d4edebd6be37f0f26d1865"},
            {"0.9137", "de5237dc08712e02916cc1572aa580fe22848a4498315619a43c6298810829d6"},
            {"1.2", "02979d4dc54fb3959c00543752d00a2a1f2d3819fe739c55fc6984e45f2d7b1f"},
            {"1.25", "93ffbc473906785b2707d301a91d8872f4e7a3dbacedd11a56e847d99be731e4"},
        };
        for (String[] g : golden) {
            float factor = Float.parseFloat(g[0]);
            byte[] ramp = new byte[256];
            for (int v = 0; v < 256; v++) {
                ramp[v] = (byte) Transforms.brighten(v, factor);
            }
            assertEquals(g[1], ResamplerTest.sha256(ramp), "factor " + g[0]);
        }
    }

    @Test
    void randomResizedCropStaysInTorchvisionsRanges() {
        SplittableRandom rng = new SplittableRandom(7);
        for (int k = 0; k < 2000; k++) {
            Crop c = Transforms.randomResizedCrop(320, 240, 0.05, 1.0, 0.75, 4.0 / 3.0, rng);
            assertTrue(
                    c.x() >= 0
                            && c.y() >= 0
                            && c.x() + c.width() <= 320
                            && c.y() + c.height() <= 240,
                    c.toString());
            double share = (double) c.width() * c.height() / (320 * 240);
            double ratio = (double) c.width() / c.height();
            boolean fallback = c.equals(new Crop(0, 0, 320, 240));
            assertTrue(fallback || share > 0.04 && share < 1.02, "area share " + share);
            assertTrue(fallback || ratio > 0.7 && ratio < 1.43, "ratio " + ratio);
        }
        // Too thin for any try: torchvision's fallback keeps the full height and the widest allowed
        // ratio.
        assertEquals(
                new Crop(493, 0, 13, 10),
                Transforms.randomResizedCrop(
                        1000, 10, 0.08, 1.0, 0.75, 4.0 / 3.0, new SplittableRandom(1)));
        assertEquals(
                new Crop(0, 493, 10, 13),
                Transforms.randomResizedCrop(
                        10, 1000, 0.08, 1.0, 0.75, 4.0 / 3.0, new SplittableRandom(1)));
    }

    @Test
    void flipMirrorsTheImage() {
        RgbImage src = ResamplerTest.source(40, 30);
        StandardTransform plain =
                new StandardTransform(
                        "t",
                        24,
                        Geometry.RESIZE_SHORTER_SIDE,
                        24,
                        0,
                        0,
                        Filter.BICUBIC,
                        0,
                        0,
                        false);
        StandardTransform flipped =
                new StandardTransform(
                        "t",
                        24,
                        Geometry.RESIZE_SHORTER_SIDE,
                        24,
                        0,
                        0,
                        Filter.BICUBIC,
                        1.0,
                        0,
                        false);
        float[] a = plain.apply(src, new SplittableRandom(3));
        float[] b = flipped.apply(src, new SplittableRandom(3));
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 24; y++) {
                for (int x = 0; x < 24; x++) {
                    assertEquals(a[c * 576 + y * 24 + x], b[c * 576 + y * 24 + 23 - x]);
                }
            }
        }
    }

    @Test
    void cifarTrainIsRepeatableForASeedAndJittersBrightnessWithin25Percent() {
        RgbImage src = ResamplerTest.source(32, 32);
        ImageTransform t = Transforms.cifarTrain(224);
        assertArrayEquals(
                t.apply(src, new SplittableRandom(11)), t.apply(src, new SplittableRandom(11)));
        assertFalse(
                Arrays.equals(
                        t.apply(src, new SplittableRandom(11)),
                        t.apply(src, new SplittableRandom(12))));

        byte[] grey = new byte[32 * 32 * 3];
        Arrays.fill(grey, (byte) 100);
        int min = 255;
        int max = 0;
        for (int seed = 0; seed < 300; seed++) {
            float[] out = t.apply(new RgbImage(32, 32, grey), new SplittableRandom(seed));
            int v = Math.round((out[0] * 0.5f + 0.5f) * 255f);
            for (float f : out) {
                assertEquals(v, Math.round((f * 0.5f + 0.5f) * 255f), "one factor per image");
            }
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(
                min >= 75 && min <= 77 && max >= 123 && max <= 125,
                "brightness range " + min + ".." + max);
    }

    @Test
    void resizeSideScalesWithTheOutputSize() {
        assertEquals(256, Transforms.resizeSide(224));
        assertEquals(128, Transforms.resizeSide(112));
        assertEquals(224, Transforms.imageFolderTrain(224).outputSize());
        assertEquals("cifarTrain(112)", Transforms.forDataset("cifar224", true, 112).toString());
        assertEquals(
                "imageFolderTest(224)", Transforms.forDataset("omniglot", false, 224).toString());
    }

    /** CHW floats back to HWC bytes, undoing ToTensor and, if asked, the 0.5/0.5 normalisation. */
    static byte[] toHwcBytes(float[] chw, int s, boolean normalized) {
        byte[] out = new byte[3 * s * s];
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < s * s; p++) {
                float t = chw[c * s * s + p];
                out[p * 3 + c] = (byte) Math.round((normalized ? t * 0.5f + 0.5f : t) * 255f);
            }
        }
        return out;
    }
}
