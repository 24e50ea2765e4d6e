package org.care4j.data;

/**
 * NumPy's legacy global generator ({@code np.random.seed(int)}, {@code RandomState}): MT19937
 * seeded with Matsumoto and Nishimura's {@code init_genrand}, reproduced bit for bit for the draws
 * the protocol uses.
 *
 * <p>Outputs are the standard 32-bit tempered MT19937 words. {@link #randomInterval(long)} is
 * NumPy's masked rejection (draw, mask to the smallest {@code 2^k - 1 >= max}, retry while above
 * {@code max}), which {@link #permutation(int)} uses from the last position down, exactly as {@code
 * RandomState.shuffle} does. Not thread-safe; one instance per sequence of draws.
 */
public final class Mt19937 {

    private static final int N = 624;
    private static final int M = 397;
    private static final int MATRIX_A = 0x9908B0DF;
    private static final int UPPER = 0x80000000;
    private static final int LOWER = 0x7FFFFFFF;
    private static final long UINT32_MAX = 0xFFFFFFFFL;

    private final int[] mt = new int[N];
    private int pos;

    /**
     * Seeds like {@code np.random.seed(seed)} with a Python int (not an array, which would use
     * {@code init_by_array}).
     *
     * @param seed 0 to 2^32 - 1
     */
    public Mt19937(long seed) {
        if (seed < 0 || seed > UINT32_MAX) {
            throw new IllegalArgumentException("seed must be between 0 and 2^32 - 1, got " + seed);
        }
        mt[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            int prev = mt[i - 1];
            mt[i] = 1812433253 * (prev ^ (prev >>> 30)) + i;
        }
        pos = N;
    }

    /** The next raw output, as an unsigned value in [0, 2^32). */
    public long nextUint32() {
        if (pos >= N) {
            twist();
        }
        int y = mt[pos++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9D2C5680;
        y ^= (y << 15) & 0xEFC60000;
        y ^= y >>> 18;
        return y & UINT32_MAX;
    }

    /**
     * A uniform integer in [0, max] by NumPy's masked rejection; {@code max == 0} draws nothing.
     */
    public long randomInterval(long max) {
        if (max < 0) {
            throw new IllegalArgumentException("max must not be negative, got " + max);
        }
        if (max == 0) {
            return 0;
        }
        long mask = smallestMaskCovering(max);
        if (max <= UINT32_MAX) {
            while (true) {
                long v = nextUint32() & mask;
                if (v <= max) {
                    return v;
                }
            }
        }
        while (true) {
            long v = ((nextUint32() << 32) | nextUint32()) & mask;
            if (Long.compareUnsigned(v, max) <= 0) {
                return v;
            }
        }
    }

    /** {@code np.random.permutation(n)}: 0..n-1 shuffled from the last position down. */
    public int[] permutation(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must not be negative, got " + n);
        }
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i >= 1; i--) {
            int j = (int) randomInterval(i);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    /** One legacy {@code np.random.randint(low, high)} (int64 result) for a range below 2^32. */
    public long randint(long low, long high) {
        long range = high - 1 - low;
        if (range < 0 || range > UINT32_MAX) {
            throw new IllegalArgumentException(
                    "randint needs low < high with high - low <= 2^32, got ["
                            + low
                            + ", "
                            + high
                            + ")");
        }
        if (range == 0) {
            return low;
        }
        if (range == UINT32_MAX) {
            return low + nextUint32();
        }
        return low + randomInterval(range);
    }

    /** One {@code np.random.rand()}: a double in [0, 1) with 53 random bits from two draws. */
    public double rand() {
        long a = nextUint32() >>> 5;
        long b = nextUint32() >>> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    /** The key words right after seeding (for checks against NumPy's {@code get_state()}). */
    int[] stateWords() {
        return mt.clone();
    }

    private static long smallestMaskCovering(long max) {
        long m = max;
        m |= m >>> 1;
        m |= m >>> 2;
        m |= m >>> 4;
        m |= m >>> 8;
        m |= m >>> 16;
        m |= m >>> 32;
        return m;
    }

    private void twist() {
        for (int i = 0; i < N; i++) {
            int y = (mt[i] & UPPER) | (mt[(i + 1) % N] & LOWER);
            mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
        }
        pos = 0;
    }
}
