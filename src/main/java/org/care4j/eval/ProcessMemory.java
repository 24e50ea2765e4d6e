package org.care4j.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Memory of this process as the operating system counts it (heap, native tensors and mapped files together),
 * read from {@code /proc/self/status} on Linux. Elsewhere the JVM's own heap use stands in.
 */
public final class ProcessMemory {

    private static final Path STATUS = Path.of("/proc/self/status");

    private ProcessMemory() {}

    /** Current resident set size in MiB ({@code VmRSS}). */
    public static double residentMb() {
        return read("VmRSS:");
    }

    /** Largest resident set size so far in MiB ({@code VmHWM}). */
    public static double peakResidentMb() {
        return read("VmHWM:");
    }

    private static double read(String field) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(field)) {
                    String[] parts = line.substring(field.length()).trim().split("\\s+");
                    return Long.parseLong(parts[0]) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux, or an unexpected format: fall through to the JVM's own count.
        }
        Runtime runtime = Runtime.getRuntime();
        return (runtime.totalMemory() - runtime.freeMemory()) / (1024.0 * 1024.0);
    }
}
