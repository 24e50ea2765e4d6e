package org.care4j.data;

import java.util.Arrays;

/**
 * Separable image resampling that reproduces PIL's {@code Image.resize} for 8-bit RGB
 * (torchvision's resize on PIL images): each output pixel is a weighted sum of the input pixels
 * under a filter centred on it, the filter widened by the scale factor when shrinking
 * (antialiasing), weights normalised to sum 1 and rounded to 22-bit fixed point; the horizontal
 * pass runs first and is rounded and clipped to 8 bits before the vertical pass, as in PIL's {@code
 * ImagingResample}.
 *
 * <p>Filters: {@link Filter#BICUBIC} (Keys cubic, a = -0.5, support 2) and {@link Filter#BILINEAR}
 * (triangle, support 1). The source may be a rectangle of the image (crop, then resize, as
 * torchvision's {@code resized_crop} does), and only a window of the output may be computed
 * (resize, then crop, at the cost of the window alone); both give exactly the pixels of the full
 * operation.
 */
public final class Resampler {

    /** Resampling filter. */
    public enum Filter {
        /** Triangle filter, support 1 (PIL {@code BILINEAR}, torchvision's default). */
        BILINEAR(1.0),
        /** Cubic convolution with a = -0.5, support 2 (PIL {@code BICUBIC}). */
        BICUBIC(2.0);

        final double support;

        Filter(double support) {
            this.support = support;
        }

        double weight(double x) {
            double t = Math.abs(x);
            if (this == BILINEAR) {
                return t < 1.0 ? 1.0 - t : 0.0;
            }
            final double a = -0.5;
            if (t < 1.0) {
                return ((a + 2.0) * t - (a + 3.0)) * t * t + 1;
            }
            if (t < 2.0) {
                return (((t - 5) * t + 8) * t - 4) * a;
            }
            return 0.0;
        }
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    private Resampler() {}

    /** Resizes a whole image to {@code outWidth x outHeight}. */
    public static RgbImage resize(RgbImage src, int outWidth, int outHeight, Filter filter) {
        return resize(
                src,
                0,
                0,
                src.width(),
                src.height(),
                outWidth,
                outHeight,
                0,
                0,
                outWidth,
                outHeight,
                filter);
    }

    /**
     * Crops the rectangle ({@code x0}, {@code y0}, {@code w}, {@code h}) of {@code src}, resizes it
     * to {@code outWidth x outHeight}, and returns the window ({@code wx}, {@code wy}, {@code ww},
     * {@code wh}) of that result. The rectangle is treated as the whole image (pixels outside it
     * are not used).
     */
    public static RgbImage resize(
            RgbImage src,
            int x0,
            int y0,
            int w,
            int h,
            int outWidth,
            int outHeight,
            int wx,
            int wy,
            int ww,
            int wh,
            Filter filter) {
        if (x0 < 0 || y0 < 0 || w < 1 || h < 1 || x0 + w > src.width() || y0 + h > src.height()) {
            throw new IllegalArgumentException(
                    "crop "
                            + w
                            + "x"
                            + h
                            + "+"
                            + x0
                            + "+"
                            + y0
                            + " outside "
                            + src.width()
                            + "x"
                            + src.height());
        }
        if (wx < 0 || wy < 0 || ww < 1 || wh < 1 || wx + ww > outWidth || wy + wh > outHeight) {
            throw new IllegalArgumentException(
                    "window "
                            + ww
                            + "x"
                            + wh
                            + "+"
                            + wx
                            + "+"
                            + wy
                            + " outside "
                            + outWidth
                            + "x"
                            + outHeight);
        }
        Coefficients horizontal = w == outWidth ? null : new Coefficients(w, outWidth, filter);
        Coefficients vertical = h == outHeight ? null : new Coefficients(h, outHeight, filter);

        // Rows of the (cropped) source that the window's output rows read.
        int rowFirst = vertical == null ? wy : vertical.min[wy];
        int rowEnd =
                vertical == null
                        ? wy + wh
                        : vertical.min[wy + wh - 1] + vertical.count[wy + wh - 1];
        int rows = rowEnd - rowFirst;

        byte[] in = src.rgb();
        int stride = src.width() * 3;
        byte[] temp = new byte[rows * ww * 3];
        if (horizontal == null) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(
                        in, (y0 + rowFirst + r) * stride + (x0 + wx) * 3, temp, r * ww * 3, ww * 3);
            }
        } else {
            horizontalPass(in, stride, x0, y0 + rowFirst, rows, horizontal, wx, ww, temp);
        }
        if (vertical == null) {
            return new RgbImage(ww, wh, temp);
        }
        byte[] out = new byte[ww * wh * 3];
        verticalPass(temp, ww, rowFirst, vertical, wy, wh, out);
        return new RgbImage(ww, wh, out);
    }

    private static void horizontalPass(
            byte[] in,
            int stride,
            int x0,
            int firstRow,
            int rows,
            Coefficients k,
            int wx,
            int ww,
            byte[] temp) {
        int half = 1 << (PRECISION_BITS - 1);
        for (int r = 0; r < rows; r++) {
            int rowBase = (firstRow + r) * stride + x0 * 3;
            int outBase = r * ww * 3;
            for (int xx = 0; xx < ww; xx++) {
                int o = wx + xx;
                int kBase = o * k.size;
                int min = k.min[o];
                int n = k.count[o];
                int s0 = half;
                int s1 = half;
                int s2 = half;
                int p = rowBase + min * 3;
                for (int t = 0; t < n; t++, p += 3) {
                    int weight = k.weights[kBase + t];
                    s0 += (in[p] & 0xFF) * weight;
                    s1 += (in[p + 1] & 0xFF) * weight;
                    s2 += (in[p + 2] & 0xFF) * weight;
                }
                int q = outBase + xx * 3;
                temp[q] = clip8(s0);
                temp[q + 1] = clip8(s1);
                temp[q + 2] = clip8(s2);
            }
        }
    }

    private static void verticalPass(
            byte[] temp, int width, int rowFirst, Coefficients k, int wy, int wh, byte[] out) {
        int half = 1 << (PRECISION_BITS - 1);
        int stride = width * 3;
        int[] acc = new int[stride];
        for (int yy = 0; yy < wh; yy++) {
            int o = wy + yy;
            int kBase = o * k.size;
            int min = k.min[o] - rowFirst;
            int n = k.count[o];
            Arrays.fill(acc, half);
            for (int t = 0; t < n; t++) {
                int weight = k.weights[kBase + t];
                int rowBase = (min + t) * stride;
                for (int x = 0; x < stride; x++) {
                    acc[x] += (temp[rowBase + x] & 0xFF) * weight;
                }
            }
            int outBase = yy * stride;
            for (int x = 0; x < stride; x++) {
                out[outBase + x] = clip8(acc[x]);
            }
        }
    }

    private static byte clip8(int v) {
        if (v >= (1 << PRECISION_BITS << 8)) {
            return (byte) 255;
        }
        if (v <= 0) {
            return 0;
        }
        return (byte) (v >> PRECISION_BITS);
    }

    /**
     * Fixed-point filter weights of every output position along one axis (PIL's precompute_coeffs).
     */
    static final class Coefficients {
        final int size;
        final int[] min;
        final int[] count;
        final int[] weights;

        Coefficients(int inSize, int outSize, Filter filter) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = filter.support * filterScale;
            size = (int) Math.ceil(support) * 2 + 1;
            min = new int[outSize];
            count = new int[outSize];
            weights = new int[outSize * size];
            double[] w = new double[size];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double ss = 1.0 / filterScale;
                int xmin = Math.max((int) (center - support + 0.5), 0);
                int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
                double total = 0.0;
                for (int x = 0; x < xmax; x++) {
                    w[x] = filter.weight((x + xmin - center + 0.5) * ss);
                    total += w[x];
                }
                for (int x = 0; x < xmax; x++) {
                    double v = total != 0.0 ? w[x] / total : w[x];
                    weights[xx * size + x] =
                            (int)
                                    (v < 0
                                            ? -0.5 + v * (1 << PRECISION_BITS)
                                            : 0.5 + v * (1 << PRECISION_BITS));
                }
                min[xx] = xmin;
                count[xx] = xmax;
            }
        }
    }
}
