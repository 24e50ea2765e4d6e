package org.care4j.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * What {@link NativeMemory#release()} frees, as the JVM's own direct-buffer pool counts it: every tensor DJL
 * creates from a Java array keeps a direct buffer after the tensor is closed, until a garbage collection. A
 * long run that makes little heap garbage piles these up (about 550 MB in a 290-task Omniglot run).
 */
class NativeMemoryTest {

    private static final int TENSORS = 48;
    private static final int FLOATS = 1 << 20; // 4 MiB each

    @Test
    void releaseFreesTheDirectBuffersOfClosedTensors() {
        NativeMemory.release();
        double baseline = directMb();
        float[] data = new float[FLOATS]; // one array, so that the loop makes no heap garbage to collect
        try (NDManager manager = NDManager.newBaseManager()) {
            for (int i = 0; i < TENSORS; i++) {
                data[0] = i;
                try (NDManager batch = manager.newSubManager()) {
                    batch.create(data, new Shape(FLOATS));
                }
            }
        }
        double kept = directMb() - baseline;
        assertTrue(kept >= 0.75 * TENSORS * 4, "closed tensors still hold their direct buffers: " + kept + " MB");
        boolean trimmed = NativeMemory.release();
        double after = directMb() - baseline;
        assertTrue(after < 8, "after release " + after + " MB of direct buffers remain (were " + kept + ")");
        if (System.getProperty("os.name").toLowerCase().startsWith("linux") && glibc()) {
            assertTrue(trimmed, "glibc's malloc_trim was found and called");
        }
    }

    private static boolean glibc() {
        return new java.io.File("/lib/x86_64-linux-gnu/libc.so.6").exists()
                || new java.io.File("/lib/aarch64-linux-gnu/libc.so.6").exists()
                || new java.io.File("/lib64/libc.so.6").exists();
    }

    private static double directMb() {
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool.getMemoryUsed() / (1024.0 * 1024.0);
            }
        }
        throw new AssertionError("no direct buffer pool");
    }
}
