package org.care4j.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Gaussian statistics of each class's features, for classifier alignment without stored images.
 *
 * <p>From the n features {@code f: [n, d]} of a class: mean {@code mu = f.mean(0)} and either the unbiased
 * covariance plus a ridge, {@code cov + 1e-4 I} ({@code covariance}), or only its diagonal ({@code variance}).
 * What is kept is the Cholesky factor L of that matrix ({@code Sigma = L L^T}), so that sampling
 * {@code mu + L z} needs no factorisation per draw; storage is a full d x d float matrix, the packed lower
 * triangle (half the memory), or the packed triangle in bfloat16 (a quarter).
 */
public final class ClassStatistics {

    /** Which second moment is kept. */
    public enum Kind { COVARIANCE, VARIANCE }

    /** How a covariance factor is stored. */
    public enum Storage { FULL, PACKED, HALF }

    /** Ridge added to every covariance, as the reference. */
    public static final double RIDGE = 1e-4;

    private final int width;
    private final Kind kind;
    private final Storage storage;
    private final double ridge;
    private final Map<Integer, float[]> means = new LinkedHashMap<>();
    private final Map<Integer, Object> factors = new LinkedHashMap<>();

    /**
     * @param ridge the ridge as the model's precision rounds it (1e-4, or {@code (double) 1e-4f} in float32)
     */
    public ClassStatistics(int width, Kind kind, Storage storage, double ridge) {
        this.width = width;
        this.kind = kind;
        this.storage = storage;
        this.ridge = ridge;
    }

    public int width() {
        return width;
    }

    public Kind kind() {
        return kind;
    }

    public Storage storage() {
        return storage;
    }

    public int classes() {
        return means.size();
    }

    public boolean has(int cls) {
        return means.containsKey(cls);
    }

    /** Mean and covariance (row-major d x d, diagonal only for variance) of {@code n} features. */
    public static double[][] moments(double[] features, int n, int d, Kind kind, double ridge) {
        if (n < 2) {
            throw new IllegalArgumentException("a class needs at least 2 samples for a covariance, got " + n);
        }
        double[] mean = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                mean[j] += features[i * d + j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        double[] cov = new double[d * d];
        double[] centred = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                centred[j] = features[i * d + j] - mean[j];
            }
            for (int a = 0; a < d; a++) {
                double ca = centred[a];
                if (kind == Kind.VARIANCE) {
                    cov[a * d + a] += ca * ca;
                    continue;
                }
                for (int b = 0; b <= a; b++) {
                    cov[a * d + b] += ca * centred[b];
                }
            }
        }
        for (int a = 0; a < d; a++) {
            for (int b = 0; b <= a; b++) {
                double v = cov[a * d + b] / (n - 1);
                cov[a * d + b] = v;
                cov[b * d + a] = v;
            }
            cov[a * d + a] += ridge;
        }
        return new double[][] {mean, cov};
    }

    /** Computes and keeps the statistics of class {@code cls} from its features {@code [n, d]}. */
    public void add(int cls, double[] features, int n) {
        double[][] m = moments(features, n, width, kind, ridge);
        put(cls, m[0], m[1]);
    }

    /** Keeps a given mean {@code [d]} and covariance {@code [d * d]} for class {@code cls}. */
    public void put(int cls, double[] mean, double[] covariance) {
        float[] mu = new float[width];
        for (int j = 0; j < width; j++) {
            mu[j] = (float) mean[j];
        }
        means.put(cls, mu);
        factors.put(cls, store(cholesky(covariance)));
    }

    public float[] mean(int cls) {
        return means.get(cls);
    }

    /** The stored factor L, expanded to a full row-major d x d lower-triangular matrix. */
    public double[] factor(int cls) {
        Object stored = factors.get(cls);
        double[] l = new double[width * width];
        if (kind == Kind.VARIANCE) {
            float[] diag = (float[]) stored;
            for (int j = 0; j < width; j++) {
                l[j * width + j] = diag[j];
            }
            return l;
        }
        for (int a = 0, k = 0; a < width; a++) {
            for (int b = 0; b <= a; b++, k++) {
                l[a * width + b] = switch (storage) {
                    case FULL -> ((float[]) stored)[a * width + b];
                    case PACKED -> ((float[]) stored)[k];
                    case HALF -> bfloat16ToFloat(((short[]) stored)[k]);
                };
            }
        }
        return l;
    }

    /** The covariance {@code L L^T} as stored (row-major d x d). */
    public double[] covariance(int cls) {
        double[] l = factor(cls);
        double[] s = new double[width * width];
        for (int a = 0; a < width; a++) {
            for (int b = 0; b <= a; b++) {
                double v = 0;
                for (int k = 0; k <= b; k++) {
                    v += l[a * width + k] * l[b * width + k];
                }
                s[a * width + b] = v;
                s[b * width + a] = v;
            }
        }
        return s;
    }

    /**
     * Draws {@code n} samples of class {@code cls} from {@code N(meanScale * mu, Sigma)} as {@code [n, d]}
     * float32, with standard normal draws from the engine's seeded generator.
     */
    public NDArray sample(int cls, double meanScale, int n, NDManager manager) {
        float[] mu = means.get(cls);
        double[] l = factor(cls);
        NDArray z = manager.randomNormal(0, 1, new Shape(n, width), DataType.FLOAT32, manager.getDevice());
        NDArray lt = manager.create(l, new Shape(width, width)).toType(DataType.FLOAT32, false).transpose();
        return z.matMul(lt).add(manager.create(mu).mul(meanScale));
    }

    /** Bytes held by the statistics of all classes. */
    public long bytes() {
        long perFactor = switch (kind == Kind.VARIANCE ? Storage.FULL : storage) {
            case FULL -> kind == Kind.VARIANCE ? 4L * width : 4L * width * width;
            case PACKED -> 4L * width * (width + 1) / 2;
            case HALF -> 2L * width * (width + 1) / 2;
        };
        return means.size() * (4L * width + perFactor);
    }

    /** Raw stored values of class {@code cls} for checkpoints: mean, then the stored factor as floats. */
    public float[][] export(int cls) {
        Object f = factors.get(cls);
        float[] factor;
        if (f instanceof short[] s) {
            factor = new float[s.length];
            for (int i = 0; i < s.length; i++) {
                factor[i] = bfloat16ToFloat(s[i]);
            }
        } else {
            factor = ((float[]) f).clone();
        }
        return new float[][] {means.get(cls).clone(), factor};
    }

    /** Restores what {@link #export} wrote. */
    public void restore(int cls, float[] mean, float[] factor) {
        if (mean.length != width) {
            throw new IllegalArgumentException("class " + cls + ": mean has " + mean.length + " values, expected "
                    + width);
        }
        means.put(cls, mean.clone());
        if (storage == Storage.HALF && kind == Kind.COVARIANCE) {
            short[] s = new short[factor.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = floatToBfloat16(factor[i]);
            }
            factors.put(cls, s);
        } else {
            factors.put(cls, factor.clone());
        }
    }

    public Iterable<Integer> classIds() {
        return means.keySet();
    }

    /**
     * Writes every class's mean and stored factor as {@code stats.<class>.mean} and {@code .factor}; a factor
     * kept in bfloat16 is written as BF16, so a checkpoint is as compact as the memory it restores.
     */
    public void writeTo(org.care4j.io.SafeTensorsWriter out) {
        out.metadata("stats.kind", kind.name()).metadata("stats.storage", storage.name())
                .metadata("stats.width", Integer.toString(width));
        for (int c : classIds()) {
            out.add("stats." + c + ".mean", new long[] {width}, means.get(c));
            if (factors.get(c) instanceof short[] half) {
                java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(2 * half.length)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                bytes.asShortBuffer().put(half);
                out.addRaw("stats." + c + ".factor", org.care4j.io.DType.BF16, new long[] {half.length},
                        bytes.array());
            } else {
                float[] factor = (float[]) factors.get(c);
                out.add("stats." + c + ".factor", new long[] {factor.length}, factor);
            }
        }
    }

    /**
     * Reads what {@link #writeTo} wrote (BF16 factors widen to float exactly and narrow back without loss); the
     * kind, storage and width must match this object's.
     */
    public void readFrom(org.care4j.io.SafeTensors in) {
        java.util.Map<String, String> meta = in.metadata();
        String expected = kind + "/" + storage + "/" + width;
        String found = meta.get("stats.kind") + "/" + meta.get("stats.storage") + "/" + meta.get("stats.width");
        if (!expected.equals(found)) {
            throw new org.care4j.runtime.CareException(in.file() + ": class statistics are " + found
                    + " but this run keeps " + expected);
        }
        for (String name : in.names()) {
            if (name.startsWith("stats.") && name.endsWith(".mean")) {
                int c = Integer.parseInt(name.substring(6, name.length() - 5));
                restore(c, in.floats(name), in.floats("stats." + c + ".factor"));
            }
        }
    }

    private Object store(double[] l) {
        if (kind == Kind.VARIANCE) {
            float[] diag = new float[width];
            for (int j = 0; j < width; j++) {
                diag[j] = (float) l[j * width + j];
            }
            return diag;
        }
        int packed = width * (width + 1) / 2;
        switch (storage) {
            case FULL: {
                float[] full = new float[width * width];
                for (int i = 0; i < full.length; i++) {
                    full[i] = (float) l[i];
                }
                return full;
            }
            case PACKED: {
                float[] p = new float[packed];
                for (int a = 0, k = 0; a < width; a++) {
                    for (int b = 0; b <= a; b++, k++) {
                        p[k] = (float) l[a * width + b];
                    }
                }
                return p;
            }
            default: {
                short[] p = new short[packed];
                for (int a = 0, k = 0; a < width; a++) {
                    for (int b = 0; b <= a; b++, k++) {
                        p[k] = floatToBfloat16((float) l[a * width + b]);
                    }
                }
                return p;
            }
        }
    }

    /** Lower Cholesky factor of a symmetric positive-definite row-major matrix (diagonal-only for variance). */
    private double[] cholesky(double[] s) {
        int d = width;
        double[] l = new double[d * d];
        if (kind == Kind.VARIANCE) {
            for (int j = 0; j < d; j++) {
                l[j * d + j] = Math.sqrt(s[j * d + j]);
            }
            return l;
        }
        for (int a = 0; a < d; a++) {
            for (int b = 0; b <= a; b++) {
                double v = s[a * d + b];
                for (int k = 0; k < b; k++) {
                    v -= l[a * d + k] * l[b * d + k];
                }
                if (a == b) {
                    if (!(v > 0)) {
                        throw new IllegalArgumentException("covariance is not positive definite at row " + a);
                    }
                    l[a * d + a] = Math.sqrt(v);
                } else {
                    l[a * d + b] = v / l[b * d + b];
                }
            }
        }
        return l;
    }

    static short floatToBfloat16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }

    static float bfloat16ToFloat(short s) {
        return Float.intBitsToFloat((s & 0xFFFF) << 16);
    }

    @Override
    public String toString() {
        return "ClassStatistics" + Arrays.asList(kind, storage, classes() + " classes");
    }
}
