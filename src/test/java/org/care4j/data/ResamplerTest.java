package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import org.care4j.data.Resampler.Filter;
import org.junit.jupiter.api.Test;

/**
 * Resampling against Pillow 9.4 ({@code Image.crop(box).resize(size, filter)}): SHA-256 of the
 * output bytes and its first and last pixels, recorded with the same source image.
 */
class ResamplerTest {

    /**
     * The source Pillow got: pixel (x, y) = ((13x + 7y) % 256, (x^2 + 3y) % 256, 5(x xor y) % 256).
     */
    static RgbImage source(int w, int h) {
        byte[] rgb = new byte[w * h * 3];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * 3;
                rgb[o] = (byte) ((x * 13 + y * 7) % 256);
                rgb[o + 1] = (byte) ((x * x + y * 3) % 256);
                rgb[o + 2] = (byte) (((x ^ y) * 5) % 256);
            }
        }
        return new RgbImage(w, h, rgb);
    }

    @Test
    void upscalingCifarTo256MatchesPillowBicubic() {
        RgbImage out = Resampler.resize(source(32, 32), 256, 256, Filter.BICUBIC);
        assertPillow(
                out,
                "42117d0ddd70d202ff8b4fddc836f198dce9f8e844c444f4745f9a86223e2d9c",
                new int[] {0, 0, 0, 0, 0, 0},
                new int[] {111, 7, 0});
    }

    @Test
    void cropThenResizeMatchesPillowBilinearAndBicubic() {
        RgbImage src = source(37, 29);
        assertPillow(
                Resampler.resize(src, 3, 4, 20, 17, 224, 224, 0, 0, 224, 224, Filter.BILINEAR),
                "5f0b31e9e4e94d7dffc32cc7b212a7d81c9e7cfefc3bfd46d6418086e43c7449",
                new int[] {67, 21, 35, 67, 21, 35},
                new int[] {170, 32, 10});
        assertPillow(
                Resampler.resize(src, 3, 4, 20, 17, 224, 224, 0, 0, 224, 224, Filter.BICUBIC),
                "3c474af6cab7b5388dfbd3983bd3e20cdd2edfe6e449dd8281a96a77bd3ccf42",
                new int[] {64, 20, 40, 65, 20, 40},
                new int[] {173, 6, 9});
    }

    @Test
    void downscalingAntialiasesLikePillow() {
        assertPillow(
                Resampler.resize(source(500, 375), 341, 256, Filter.BICUBIC),
                "327d3d1b05dd37cc71979fefc35a981e0aa5aa5479243f13be235affd5d77965",
                new int[] {6, 1, 1, 24, 4, 9},
                new int[] {139, 17, 154});
        assertPillow(
                Resampler.resize(source(300, 200), 150, 100, Filter.BILINEAR),
                "c4598e81d4454cba9d9024e6bae509d1db6825589cad8e7a5c29d41adc66b08a",
                new int[] {14, 3, 5, 38, 9, 12},
                new int[] {146, 116, 161});
        assertPillow(
                Resampler.resize(source(40, 30), 40, 60, Filter.BICUBIC),
                "31116f8ef8979a94a1eb09374cfb109f9da48530a20ab1991500f37ef821adf1",
                new int[] {0, 0, 0, 12, 1, 5},
                new int[] {199, 72, 34});
    }

    @Test
    void aWindowIsExactlyThatPartOfTheFullOutput() {
        RgbImage src = source(500, 375);
        RgbImage full = Resampler.resize(src, 341, 256, Filter.BICUBIC);
        RgbImage window =
                Resampler.resize(src, 0, 0, 500, 375, 341, 256, 58, 16, 224, 224, Filter.BICUBIC);
        for (int y = 0; y < 224; y++) {
            byte[] expected =
                    Arrays.copyOfRange(
                            full.rgb(), ((y + 16) * 341 + 58) * 3, ((y + 16) * 341 + 58 + 224) * 3);
            byte[] actual = Arrays.copyOfRange(window.rgb(), y * 224 * 3, (y + 1) * 224 * 3);
            assertArrayEquals(expected, actual, "row " + y);
        }
    }

    private static void assertPillow(RgbImage out, String sha256, int[] first, int[] last) {
        byte[] b = out.rgb();
        for (int i = 0; i < first.length; i++) {
            assertEquals(first[i], b[i] & 0xFF, "byte " + i);
        }
        for (int i = 0; i < last.length; i++) {
            assertEquals(
                    last[i],
                    b[b.length - last.length + i] & 0xFF,
                    "byte " + (b.length - last.length + i));
        }
        assertEquals(sha256, sha256(b));
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
