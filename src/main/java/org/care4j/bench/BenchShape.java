package org.care4j.bench;

import java.util.Locale;
import org.care4j.model.VisionTransformer.Architecture;
import org.care4j.runtime.CareException;

/**
 * A backbone shape the benchmark measures, by name: {@code vit-tiny} (ViT-Ti/16, width 192) and
 * {@code vit-base} (ViT-B/16, width 768), both of depth 12. Tests use small custom shapes.
 */
public record BenchShape(String name, Architecture architecture) {

    public static final BenchShape VIT_TINY = new BenchShape("vit-tiny", Architecture.vitTiny());
    public static final BenchShape VIT_BASE = new BenchShape("vit-base", Architecture.vitBase());

    /** The shape called {@code name}. */
    public static BenchShape named(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT)) {
            case "vit-tiny", "vit-ti", "tiny" -> VIT_TINY;
            case "vit-base", "vit-b", "base" -> VIT_BASE;
            default -> throw new CareException("unknown shape '" + name + "'; use vit-tiny or vit-base");
        };
    }
}
