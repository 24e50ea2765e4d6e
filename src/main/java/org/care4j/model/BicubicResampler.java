package org.care4j.model;

/**
 * Separable bicubic resampling of a [channels, height, width] grid, as PyTorch's
 * {@code interpolate(mode="bicubic", antialias=True, align_corners=False)} and PIL compute it.
 *
 * <p>Each output position {@code i} has centre {@code (i + 0.5) * in / out}; the cubic kernel (a = -0.5) is
 * widened by the down-scaling factor so that shrinking averages instead of aliasing, and the weights of every
 * output are normalised to sum to one. timm resizes position embeddings this way.
 */
public final class BicubicResampler {

    private static final double A = -0.5;

    private BicubicResampler() {}

    /**
     * Resamples {@code src} of shape [channels, inH, inW] (row-major) to [channels, outH, outW].
     *
     * @return a new array of {@code channels * outH * outW} values
     */
    public static double[] resize(double[] src, int channels, int inH, int inW, int outH, int outW) {
        if (src.length != (long) channels * inH * inW) {
            throw new IllegalArgumentException("expected " + (long) channels * inH * inW + " values, got "
                    + src.length);
        }
        Axis rows = new Axis(inH, outH);
        Axis cols = new Axis(inW, outW);
        double[] horizontal = new double[channels * inH * outW];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < inH; y++) {
                int srcRow = (c * inH + y) * inW;
                int dstRow = (c * inH + y) * outW;
                for (int x = 0; x < outW; x++) {
                    horizontal[dstRow + x] = cols.apply(src, srcRow, 1, x);
                }
            }
        }
        double[] out = new double[channels * outH * outW];
        for (int c = 0; c < channels; c++) {
            for (int y = 0; y < outH; y++) {
                for (int x = 0; x < outW; x++) {
                    out[(c * outH + y) * outW + x] = rows.apply(horizontal, c * inH * outW + x, outW, y);
                }
            }
        }
        return out;
    }

    private static double cubic(double x) {
        x = Math.abs(x);
        if (x < 1) {
            return ((A + 2) * x - (A + 3)) * x * x + 1;
        }
        if (x < 2) {
            return (((x - 5) * x + 8) * x - 4) * A;
        }
        return 0;
    }

    /** Precomputed taps of one axis: for each output, the first input index and normalised weights. */
    private static final class Axis {
        final int[] first;
        final double[][] weights;

        Axis(int in, int out) {
            double scale = (double) in / out;
            double support = 2 * Math.max(scale, 1.0);
            double invScale = scale > 1 ? 1 / scale : 1.0;
            first = new int[out];
            weights = new double[out][];
            for (int i = 0; i < out; i++) {
                double centre = scale * (i + 0.5);
                int lo = Math.max((int) (centre - support + 0.5), 0);
                int hi = Math.min((int) (centre + support + 0.5), in);
                double[] w = new double[hi - lo];
                double total = 0;
                for (int j = 0; j < w.length; j++) {
                    w[j] = cubic((j + lo - centre + 0.5) * invScale);
                    total += w[j];
                }
                for (int j = 0; j < w.length; j++) {
                    w[j] = total == 0 ? 0 : w[j] / total;
                }
                first[i] = lo;
                weights[i] = w;
            }
        }

        double apply(double[] data, int offset, int stride, int i) {
            double[] w = weights[i];
            int base = offset + first[i] * stride;
            double sum = 0;
            for (int j = 0; j < w.length; j++) {
                sum += w[j] * data[base + j * stride];
            }
            return sum;
        }
    }
}
