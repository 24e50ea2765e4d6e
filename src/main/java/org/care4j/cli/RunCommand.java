package org.care4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.care4j.config.RunConfig;
import org.care4j.eval.RunResults;
import org.care4j.learn.ContinualRun;
import org.care4j.runtime.CareException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code care run}: one continual-learning run from a published or care4j config. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Learn the tasks of a benchmark one after another and evaluate after each.")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "Run config (JSON, published keys).")
    Path config;

    @Option(names = "--data-root", description = "Folder holding the datasets (default: $CARE_DATA).")
    Path dataRoot;

    @Option(names = "--backbone", description = "timm ViT safetensors (default: $CARE_BACKBONE).")
    Path backbone;

    @Option(names = "--out", description = "Run folder for results.json and checkpoints (default: runs/<prefix>).")
    Path out;

    @Option(names = "--set", description = "Override a config key, e.g. --set tuned_epoch=2 (repeatable).")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Override
    public Integer call() {
        if (!Files.isRegularFile(config)) {
            throw new CareException(config + ": no such config file");
        }
        RunConfig cfg = RunConfig.load(config);
        if (!overrides.isEmpty()) {
            Map<String, Object> typed = new LinkedHashMap<>();
            overrides.forEach((k, v) -> typed.put(k, parse(v)));
            try {
                cfg = cfg.withOverrides(typed, "--set");
            } catch (IllegalArgumentException e) {
                throw new CareException("--set: " + e.getMessage());
            }
        }
        Path data = dataRoot != null ? dataRoot : env("CARE_DATA");
        if (data != null) {
            cfg = cfg.withDataRoot(data);
        }
        Path weights = backbone != null ? backbone : cfg.backbone().isPresent() ? null : env("CARE_BACKBONE");
        if (weights != null) {
            cfg = cfg.withBackbone(weights);
        }
        Path folder = out != null ? out : Path.of("runs", cfg.prefix().isEmpty() ? "run" : cfg.prefix());
        RunResults results = new ContinualRun(cfg, folder).execute();
        System.out.printf("average accuracy %.2f %%, last accuracy %.2f %%, forgetting %.2f, %.0f s -> %s%n",
                results.averageAccuracy(), results.lastAccuracy(), results.forgetting(), results.wallSeconds(),
                folder.resolve(RunResults.FILE_NAME));
        return 0;
    }

    private static Path env(String name) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? null : Path.of(v);
    }

    /** JSON-like typing of an override: numbers, booleans, or text. */
    private static Object parse(String v) {
        if (v.equals("true") || v.equals("false")) {
            return Boolean.parseBoolean(v);
        }
        try {
            // Not a conditional expression: "c ? Double : Long" would promote the Long to a double.
            if (v.contains(".") || v.contains("e")) {
                return Double.parseDouble(v);
            }
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return v;
        }
    }
}
