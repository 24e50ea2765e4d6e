package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the read-only shared inputs ({@code ../shared}) that the pom passes as {@code
 * care.shared}.
 */
final class SharedFiles {

    private SharedFiles() {}

    static Path path(String relative) {
        String root = System.getProperty("care.shared", "../shared");
        Path p = Path.of(root).resolve(relative).toAbsolutePath().normalize();
        assertTrue(Files.exists(p), "shared input missing: " + p + " (set -Dcare.shared)");
        return p;
    }
}
