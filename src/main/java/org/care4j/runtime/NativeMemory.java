package org.care4j.runtime;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives native memory that is no longer used back to the operating system, between tasks of a long run.
 *
 * <p>Two kinds of memory outlive their tensors. Every tensor DJL creates from Java data keeps a direct buffer
 * that only the garbage collector frees, and a run that produces little heap garbage collects rarely: measured
 * in a 290-task Omniglot run, about 550 MB of such buffers waited for a collection. And glibc keeps freed blocks
 * as holes in its heaps (the banks of frozen experts, routers and perceptrons are reallocated bigger after every
 * task), which {@code malloc_trim} hands back: another 580 MB in the same process. {@link #release()} does both;
 * it takes a fraction of a second, so it belongs between tasks, not between batches.
 */
public final class NativeMemory {

    private static final Logger LOG = LoggerFactory.getLogger(NativeMemory.class);
    private static final Function MALLOC_TRIM = lookUpMallocTrim();

    private NativeMemory() {}

    /**
     * Collects garbage (freeing the direct buffers of closed tensors) and, with glibc, trims the allocator's
     * free memory.
     *
     * @return whether the allocator was trimmed (false where there is no glibc {@code malloc_trim})
     */
    public static boolean release() {
        System.gc();
        awaitBufferCleaners();
        if (MALLOC_TRIM == null) {
            return false;
        }
        try {
            MALLOC_TRIM.invokeInt(new Object[] {0});
            return true;
        } catch (RuntimeException | LinkageError e) {
            LOG.debug("malloc_trim failed", e);
            return false;
        }
    }

    /**
     * The collector only queues the buffers' cleaners; the reference handler thread frees them a little later.
     * Waits until the direct-buffer pool has stopped shrinking for three polls (at most half a second).
     */
    private static void awaitBufferCleaners() {
        BufferPoolMXBean direct = null;
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                direct = pool;
            }
        }
        if (direct == null) {
            return;
        }
        long deadline = System.nanoTime() + 500_000_000L;
        long used = direct.getMemoryUsed();
        int steady = 0;
        while (System.nanoTime() < deadline && steady < 3) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = direct.getMemoryUsed();
            steady = now < used ? 0 : steady + 1;
            used = now;
        }
    }

    private static Function lookUpMallocTrim() {
        if (!System.getProperty("os.name", "").toLowerCase().startsWith("linux")) {
            return null;
        }
        try {
            return NativeLibrary.getInstance("c").getFunction("malloc_trim");
        } catch (RuntimeException | LinkageError e) {
            // musl and other C libraries have no malloc_trim; collecting garbage still frees the buffers.
            LOG.debug("no malloc_trim in this C library", e);
            return null;
        }
    }
}
