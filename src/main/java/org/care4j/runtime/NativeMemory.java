package org.care4j.runtime;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
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
