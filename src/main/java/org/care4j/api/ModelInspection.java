package org.care4j.api;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.care4j.io.SafeTensors;
import org.care4j.io.TensorInfo;

/**
 * What {@link CareModel#inspect} finds in a saved model folder.
 *
 * @param folder the model folder
 * @param manifest its manifest: backbone, tasks, classes, config, provenance
 * @param parameters parameter count per part, in the order backbone (frozen), task experts, routers, class
 *     perceptrons, shared experts, classifier heads
 * @param statisticsBytes memory the class statistics take once loaded (means and covariance factors)
 * @param weightsFileBytes size of {@code model.safetensors}
 */
public record ModelInspection(Path folder, ModelManifest manifest, Map<String, Long> parameters,
        long statisticsBytes, long weightsFileBytes) {

    public static final String BACKBONE = "backbone (frozen)";
    public static final String EXPERTS = "task experts";
    public static final String ROUTERS = "routers";
    public static final String PERCEPTRONS = "class perceptrons";
    public static final String SHARED = "shared experts";
    public static final String HEADS = "classifier heads";

    /** A BR-MoE tensor of one block: {@code backbone.adapter.adapter_layer{l}.<part>.*}. */
    private static final Pattern BLOCK_PART = Pattern.compile(
            "backbone\\.adapter\\.adapter_layer\\d+\\.(shared_adapter|adapter|router|latent_head)\\..*");

    public ModelInspection {
        parameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /** Parameters that were learned: every part but the backbone. */
    public long learnedParameters() {
        return parameters.entrySet().stream().filter(e -> !e.getKey().equals(BACKBONE))
                .mapToLong(Map.Entry::getValue).sum();
    }

    /**
     * Memory the model's weights and statistics take once loaded, in float32: backbone, learned parts and class
     * statistics (activations while predicting come on top).
     */
    public long memoryBytes() {
        return 4 * (parameters.get(BACKBONE) + learnedParameters()) + statisticsBytes;
    }

    static ModelInspection of(Path folder, ModelManifest manifest, SafeTensors weights) {
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put(BACKBONE, manifest.backbone().parameters());
        for (String part : new String[] {EXPERTS, ROUTERS, PERCEPTRONS, SHARED, HEADS}) {
            counts.put(part, 0L);
        }
        long statistics = 0;
        boolean halfFactors = manifest.statisticsStorage().equals("half")
                && manifest.statisticsKind().equals("covariance");
        for (String name : weights.names()) {
            TensorInfo info = weights.info(name);
            Matcher m = BLOCK_PART.matcher(name);
            String part = null;
            if (m.matches()) {
                part = switch (m.group(1)) {
                    case "shared_adapter" -> SHARED;
                    case "adapter" -> EXPERTS;
                    case "router" -> ROUTERS;
                    default -> PERCEPTRONS;
                };
            } else if (name.startsWith("fc.heads.")) {
                part = HEADS;
            } else if (name.startsWith("stats.")) {
                // Stored as float32 in the file; bfloat16 in memory when the storage is "half".
                statistics += info.elements() * (halfFactors && name.endsWith(".factor") ? 2 : 4);
            }
            if (part != null) {
                counts.merge(part, info.elements(), Long::sum);
            }
        }
        return new ModelInspection(folder, manifest, counts, statistics, manifest.weightsBytes());
    }
}
