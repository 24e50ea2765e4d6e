package org.care4j.data;

import java.util.Locale;
import java.util.SplittableRandom;
import org.care4j.data.Resampler.Filter;

/**
 * The image transforms of the protocol (CARE-SPEC section 7), with torchvision's semantics on PIL
 * images and the output side S as a parameter (224 as published; CPU configurations may use e.g.
 * 112). The resize side R = floor(256 S / 224) (256 for S = 224), as LAMDA-PILOT computes it.
 *
 * <ul>
 *   <li>{@link #cifarTrain}: RandomResizedCrop(R, scale 0.08-1, ratio 3/4-4/3, bicubic), centre
 *       crop S, horizontal flip (p = 0.5), brightness jitter 0.25, normalised with mean = std =
 *       0.5.
 *   <li>{@link #cifarTest}: resize to R (bicubic), centre crop S, normalised with mean = std = 0.5.
 *   <li>{@link #imageFolderTrain}: RandomResizedCrop(S, scale 0.05-1, ratio 3/4-4/3, bilinear,
 *       torchvision's default interpolation, which LAMDA-PILOT's {@code build_transform} keeps),
 *       horizontal flip; pixels in [0, 1].
 *   <li>{@link #imageFolderTest}: resize the shorter side to R (bicubic), centre crop S; pixels in
 *       [0, 1].
 * </ul>
 *
 * Resampling is {@link Resampler} (byte-exact with PIL); brightness is PIL's {@code
 * ImageEnhance.Brightness} (pixel times a factor drawn from [0.75, 1.25], truncated and clipped to
 * 8 bits). The random draws differ from torch's generator, so augmented images match the reference
 * in distribution, not pixel for pixel.
 */
public final class Transforms {

    private Transforms() {}

    /** CIFAR-100 training transform at output side {@code size}. */
    public static ImageTransform cifarTrain(int size) {
        return new StandardTransform(
                "cifarTrain",
                size,
                Geometry.RANDOM_RESIZED_CROP,
                resizeSide(size),
                0.08,
                1.0,
                Filter.BICUBIC,
                0.5,
                0.25,
                true);
    }

    /** CIFAR-100 test transform at output side {@code size}. */
    public static ImageTransform cifarTest(int size) {
        return new StandardTransform(
                "cifarTest",
                size,
                Geometry.RESIZE_SHORTER_SIDE,
                resizeSide(size),
                0,
                0,
                Filter.BICUBIC,
                0,
                0,
                true);
    }

    /**
     * Training transform of the ImageFolder benchmarks (ImageNet-R, ObjectNet, OmniBenchmark, ...).
     */
    public static ImageTransform imageFolderTrain(int size) {
        return new StandardTransform(
                "imageFolderTrain",
                size,
                Geometry.RANDOM_RESIZED_CROP,
                size,
                0.05,
                1.0,
                Filter.BILINEAR,
                0.5,
                0,
                false);
    }

    /** Test transform of the ImageFolder benchmarks. */
    public static ImageTransform imageFolderTest(int size) {
        return new StandardTransform(
                "imageFolderTest",
                size,
                Geometry.RESIZE_SHORTER_SIDE,
                resizeSide(size),
                0,
                0,
                Filter.BICUBIC,
                0,
                0,
                false);
    }

    /**
     * The transform a dataset name calls for: the CIFAR pair for {@code cifar224}/{@code cifar100},
     * the ImageFolder pair for everything else (Omniglot included, whose grey drawings arrive as
     * RGB).
     */
    public static ImageTransform forDataset(String datasetName, boolean train, int size) {
        boolean cifar = datasetName.toLowerCase(Locale.ROOT).startsWith("cifar");
        if (cifar) {
            return train ? cifarTrain(size) : cifarTest(size);
        }
        return train ? imageFolderTrain(size) : imageFolderTest(size);
    }

    /** R = floor(256 S / 224). */
    static int resizeSide(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("image size must be positive, got " + size);
        }
        return 256 * size / 224;
    }

    /** How the first, geometric step shapes the image before the centre crop. */
    enum Geometry {
        /** torchvision RandomResizedCrop to R x R. */
        RANDOM_RESIZED_CROP,
        /** torchvision Resize(R): shorter side to R, longer side scaled and truncated. */
        RESIZE_SHORTER_SIDE
    }

    /** A crop rectangle in the source image. */
    record Crop(int x, int y, int width, int height) {}

    /**
     * Geometry, centre crop to S, optional flip and brightness, then ToTensor (/255) and optional
     * normalisation (x - 0.5) / 0.5. Random draws, in torchvision's order: crop, flip, brightness.
     */
    static final class StandardTransform implements ImageTransform {
        private final String name;
        private final int size;
        private final Geometry geometry;
        private final int resize;
        private final double scaleMin;
        private final double scaleMax;
        private final Filter filter;
        private final double flipProbability;
        private final double brightness;
        private final boolean normalize;

        StandardTransform(
                String name,
                int size,
                Geometry geometry,
                int resize,
                double scaleMin,
                double scaleMax,
                Filter filter,
                double flipProbability,
                double brightness,
                boolean normalize) {
            if (size < 1 || resize < size) {
                throw new IllegalArgumentException(
                        "need 1 <= size <= resize, got size " + size + ", resize " + resize);
            }
            this.name = name;
            this.size = size;
            this.geometry = geometry;
            this.resize = resize;
            this.scaleMin = scaleMin;
            this.scaleMax = scaleMax;
            this.filter = filter;
            this.flipProbability = flipProbability;
            this.brightness = brightness;
            this.normalize = normalize;
        }

        @Override
        public int outputSize() {
            return size;
        }

        @Override
        public float[] apply(RgbImage image, SplittableRandom rng) {
            float[] out = new float[3 * size * size];
            applyInto(image, rng, out, 0);
            return out;
        }

        @Override
        public void applyInto(RgbImage image, SplittableRandom rng, float[] out, int offset) {
            RgbImage cropped = geometric(image, rng);
            boolean flip = flipProbability > 0 && rng.nextDouble() < flipProbability;
            float factor =
                    brightness > 0
                            ? (float) rng.nextDouble(Math.max(0, 1 - brightness), 1 + brightness)
                            : 1f;
            toTensor(cropped, flip, factor, out, offset);
        }

        /** The S x S image after the random or fixed resize and the centre crop. */
        RgbImage geometric(RgbImage image, SplittableRandom rng) {
            int w = image.width();
            int h = image.height();
            if (geometry == Geometry.RANDOM_RESIZED_CROP) {
                Crop c = randomResizedCrop(w, h, scaleMin, scaleMax, 3.0 / 4.0, 4.0 / 3.0, rng);
                int at = centreOffset(resize, size);
                return Resampler.resize(
                        image,
                        c.x(),
                        c.y(),
                        c.width(),
                        c.height(),
                        resize,
                        resize,
                        at,
                        at,
                        size,
                        size,
                        filter);
            }
            int newW;
            int newH;
            if (w <= h) {
                newW = resize;
                newH = (int) ((double) resize * h / w);
            } else {
                newH = resize;
                newW = (int) ((double) resize * w / h);
            }
            return Resampler.resize(
                    image,
                    0,
                    0,
                    w,
                    h,
                    newW,
                    newH,
                    centreOffset(newW, size),
                    centreOffset(newH, size),
                    size,
                    size,
                    filter);
        }

        private void toTensor(RgbImage image, boolean flip, float factor, float[] out, int offset) {
            byte[] rgb = image.rgb();
            int plane = size * size;
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    int src = (y * size + (flip ? size - 1 - x : x)) * 3;
                    int dst = offset + y * size + x;
                    for (int c = 0; c < 3; c++) {
                        int v = rgb[src + c] & 0xFF;
                        if (factor != 1f) {
                            v = brighten(v, factor);
                        }
                        float t = v / 255f;
                        out[dst + c * plane] = normalize ? (t - 0.5f) / 0.5f : t;
                    }
                }
            }
        }

        @Override
        public String toString() {
            return name + "(" + size + ")";
        }
    }

    /**
     * torchvision's {@code RandomResizedCrop.get_params}: up to 10 tries of an area share from
     * [scaleMin, scaleMax] and a log-uniform aspect ratio, sides rounded half to even as Python's
     * {@code round}; then a centred crop clamped to the ratio range.
     */
    static Crop randomResizedCrop(
            int width,
            int height,
            double scaleMin,
            double scaleMax,
            double ratioMin,
            double ratioMax,
            SplittableRandom rng) {
        double area = (double) width * height;
        double logMin = Math.log(ratioMin);
        double logMax = Math.log(ratioMax);
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * uniform(rng, scaleMin, scaleMax);
            double aspect = Math.exp(uniform(rng, logMin, logMax));
            int w = (int) Math.rint(Math.sqrt(target * aspect));
            int h = (int) Math.rint(Math.sqrt(target / aspect));
            if (w > 0 && w <= width && h > 0 && h <= height) {
                int y = rng.nextInt(height - h + 1);
                int x = rng.nextInt(width - w + 1);
                return new Crop(x, y, w, h);
            }
        }
        double inRatio = (double) width / height;
        int w;
        int h;
        if (inRatio < ratioMin) {
            w = width;
            h = (int) Math.rint(w / ratioMin);
        } else if (inRatio > ratioMax) {
            h = height;
            w = (int) Math.rint(h * ratioMax);
        } else {
            w = width;
            h = height;
        }
        return new Crop((width - w) / 2, (height - h) / 2, w, h);
    }

    private static double uniform(SplittableRandom rng, double lo, double hi) {
        return lo == hi ? lo : rng.nextDouble(lo, hi);
    }

    /** torchvision CenterCrop's offset: {@code round((n - crop) / 2)}, half to even. */
    static int centreOffset(int n, int crop) {
        return (int) Math.rint((n - crop) / 2.0);
    }

    /**
     * PIL {@code ImageEnhance.Brightness}: blend with black, i.e. v * factor in float, truncated,
     * clipped.
     */
    static int brighten(int v, float factor) {
        float t = factor * v;
        if (t <= 0f) {
            return 0;
        }
        return t >= 255f ? 255 : (int) t;
    }
}
