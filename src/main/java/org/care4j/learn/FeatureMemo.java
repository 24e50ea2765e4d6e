package org.care4j.learn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Features of a network that no longer changes, remembered by image content: images {@code [B, 3, S, S]} to
 * features {@code [B, d]}, running the network only on images it has not seen (identified by the SHA-256 of their
 * float32 pixels).
 *
 * <p>The protocol evaluates every seen class again after each task, so a method with a fixed feature (SimpleCIL,
 * APER-Adapter once its adapter is frozen) would otherwise compute the same test features up to T times. A
 * remembered feature can differ from a recomputed one by float rounding only (batch composition changes the
 * order of sums). Keeps at most {@code maxBytes} of features and stops remembering beyond that.
 */
final class FeatureMemo {

    /** What the baselines allow the memo: 256 MiB, the test features of 350 000 images at width 192. */
    static final long DEFAULT_BYTES = 256L << 20;

    private final UnaryOperator<NDArray> network;
    private final int width;
    private final int capacity;
    private final Map<ByteBuffer, float[]> features = new HashMap<>();

    /**
     * @param network float32 images {@code [B, 3, S, S]} to features {@code [B, width]}; must not change later
     * @param maxBytes most feature bytes kept ({@code 4 * width} per image)
     */
    FeatureMemo(UnaryOperator<NDArray> network, int width, long maxBytes) {
        this.network = network;
        this.width = width;
        this.capacity = (int) Math.min(Integer.MAX_VALUE, maxBytes / (4L * width));
    }

    /** Features {@code [B, width]} float32 of {@code images}, on the images' manager. */
    NDArray features(NDArray images) {
        NDManager manager = images.getManager();
        NDArray x = images.getDataType() == DataType.FLOAT32 ? images : images.toType(DataType.FLOAT32, false);
        int b = (int) x.getShape().get(0);
        float[] pixels = x.toFloatArray();
        int per = pixels.length / Math.max(b, 1);
        ByteBuffer[] keys = new ByteBuffer[b];
        float[] out = new float[b * width];
        List<Integer> missing = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            keys[i] = key(pixels, i * per, per);
            float[] known = features.get(keys[i]);
            if (known == null) {
                missing.add(i);
            } else {
                System.arraycopy(known, 0, out, i * width, width);
            }
        }
        if (!missing.isEmpty()) {
            long[] rows = missing.stream().mapToLong(Integer::longValue).toArray();
            NDArray subset = rows.length == b ? x : x.get(manager.create(rows));
            float[] computed = network.apply(subset).toType(DataType.FLOAT32, false).toFloatArray();
            for (int k = 0; k < rows.length; k++) {
                int i = (int) rows[k];
                System.arraycopy(computed, k * width, out, i * width, width);
                if (features.size() < capacity) {
                    float[] row = new float[width];
                    System.arraycopy(computed, k * width, row, 0, width);
                    features.put(keys[i], row);
                }
            }
        }
        return manager.create(out, new Shape(b, width));
    }

    /** Features remembered so far. */
    int size() {
        return features.size();
    }

    private static ByteBuffer key(float[] pixels, int from, int count) {
        ByteBuffer bytes = ByteBuffer.allocate(count * Float.BYTES);
        bytes.asFloatBuffer().put(pixels, from, count);
        try {
            return ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(bytes.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
