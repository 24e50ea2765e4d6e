package org.care4j.data;

import java.util.Arrays;

/**
 * The order in which classes are presented: {@code order[p]} is the original class index
 * (sorted-folder or official order) shown at position {@code p}, and learners see class {@code c}
 * under the label {@code positionOf(c)}. Immutable.
 *
 * <p>The reference (LAMDA-PILOT's {@code DataManager}) draws the order with {@code
 * np.random.seed(seed); np.random.permutation(n)}; {@link #numpyPermutation} reproduces it bit for
 * bit, so task splits match the published runs.
 */
public final class ClassOrder {

    private final int[] order;
    private final int[] position;

    private ClassOrder(int[] order) {
        this.order = order;
        this.position = new int[order.length];
        Arrays.fill(position, -1);
        for (int p = 0; p < order.length; p++) {
            int c = order[p];
            if (c < 0 || c >= order.length || position[c] >= 0) {
                throw new IllegalArgumentException(
                        "not a permutation of 0.."
                                + (order.length - 1)
                                + ": class "
                                + c
                                + " at position "
                                + p);
            }
            position[c] = p;
        }
    }

    /** {@code np.random.seed(seed); np.random.permutation(n)} (NumPy's legacy MT19937). */
    public static ClassOrder numpyPermutation(int n, long seed) {
        return new ClassOrder(new Mt19937(seed).permutation(n));
    }

    /** Classes in their original order (the reference's {@code shuffle: false}). */
    public static ClassOrder identity(int n) {
        int[] order = new int[n];
        Arrays.setAll(order, i -> i);
        return new ClassOrder(order);
    }

    /** An explicit order; it must be a permutation of 0..n-1. */
    public static ClassOrder of(int... order) {
        return new ClassOrder(order.clone());
    }

    /** A copy of the order: element {@code p} is the original class at position {@code p}. */
    public int[] order() {
        return order.clone();
    }

    /** The original class shown at position {@code p}. */
    public int classAt(int p) {
        return order[p];
    }

    /** The position (the label learners see) of an original class. */
    public int positionOf(int originalClass) {
        return position[originalClass];
    }

    /** Number of classes. */
    public int size() {
        return order.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClassOrder other && Arrays.equals(order, other.order);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(order);
    }

    @Override
    public String toString() {
        return "ClassOrder" + Arrays.toString(order);
    }
}
