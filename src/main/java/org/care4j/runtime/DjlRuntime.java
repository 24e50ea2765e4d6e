package org.care4j.runtime;

/**
 * Sets the system properties that the DJL PyTorch engine reads when it first loads.
 *
 * <p>{@code ai.djl.offline=true} and {@code OPT_OUT_TRACKING=true} keep DJL from probing the network or
 * downloading native files; the thread counts pin intra-op parallelism to the cores and inter-op to one.
 * This class references no DJL type, so calling it cannot load DJL early.
 */
public final class DjlRuntime {

    private DjlRuntime() {}

    /** Configures DJL for this process with intra-op threads equal to the available processors. */
    public static void configure() {
        configure(Runtime.getRuntime().availableProcessors());
    }

    /**
     * Configures DJL for this process; settings already given on the command line win.
     *
     * @param threads intra-op threads for PyTorch (at least 1)
     */
    public static void configure(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        setIfAbsent("ai.djl.pytorch.num_threads", Integer.toString(threads));
        setIfAbsent("ai.djl.pytorch.num_interop_threads", "1");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
