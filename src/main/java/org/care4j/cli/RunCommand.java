package org.care4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.care4j.config.RunConfig;
import org.care4j.eval.RunResults;
import org.care4j.learn.ContinualRun;
import org.care4j.learn.RunCheckpoint;
import org.care4j.runtime.CareException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code care run}: one continual-learning run from a published or care4j config. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Learn the tasks of a benchmark one after another and evaluate after each.")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--config", description = "Run config (JSON, published keys); with --resume, optional and "
            + "checked against the checkpoint's.")
    Path config;

    @Option(names = "--resume", paramLabel = "DIR", description = "Continue the run in DIR from its newest "
            + "complete checkpoint (an older one when the newest is damaged), with the checkpoint's config.")
    Path resume;

    @Option(names = "--data-root", description = "Folder holding the datasets (default: $CARE_DATA).")
    Path dataRoot;

    @Option(names = "--backbone", description = "timm ViT safetensors (default: $CARE_BACKBONE).")
    Path backbone;

    @Option(names = "--out", description = "Run folder for results.json and checkpoints (default: runs/<prefix>).")
    Path out;

    @Option(names = "--method", paramLabel = "METHOD", description = "Learning method: care, simplecil, "
            + "aper_adapter or finetune (overrides the key \"method\").")
    String method;

    @Option(names = "--set", description = "Override a config key, e.g. --set tuned_epoch=2 (repeatable).")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Override
    public Integer call() {
        if (config == null && resume == null) {
            throw new CareException("give --config FILE for a new run, or --resume DIR to continue one");
        }
        if (resume != null && out != null && !out.toAbsolutePath().normalize()
                .equals(resume.toAbsolutePath().normalize())) {
            throw new CareException("--out " + out + " and --resume " + resume + " name different folders; a "
                    + "resumed run continues in its own folder");
        }
        if (config != null && !Files.isRegularFile(config)) {
            throw new CareException(config + ": no such config file");
        }
        RunCheckpoint checkpoint = resume == null ? null : RunCheckpoint.latest(resume);
        RunConfig cfg = config != null ? RunConfig.load(config) : checkpoint.config();
        if (!overrides.isEmpty()) {
            Map<String, Object> typed = new LinkedHashMap<>();
            overrides.forEach((k, v) -> typed.put(k, parse(v)));
            try {
                cfg = cfg.withOverrides(typed, "--set");
            } catch (IllegalArgumentException e) {
                throw new CareException("--set: " + e.getMessage());
            }
        }
        if (method != null) {
            cfg = cfg.withOverrides(Map.of("method", method), "--method");
        }
        Path data = dataRoot != null ? dataRoot : env("CARE_DATA");
        if (data != null) {
            cfg = cfg.withDataRoot(data);
        }
        Path weights = backbone != null ? backbone : cfg.backbone().isPresent() ? null : env("CARE_BACKBONE");
        if (weights != null) {
            cfg = cfg.withBackbone(weights);
        }
        Path folder = resume != null ? resume
                : out != null ? out : Path.of("runs", cfg.prefix().isEmpty() ? "run" : cfg.prefix());
        if (cfg.threads() > 0) {
            // Read when the PyTorch engine starts, which is after this point; the config's value wins over the
            // default that Care.main set. One thread is much faster on a machine that other jobs keep busy.
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(cfg.threads()));
        }
        ContinualRun run = new ContinualRun(cfg, folder);
        RunResults results = checkpoint == null ? run.execute() : run.resume(checkpoint);
        System.out.printf("%s, last accuracy %.2f %%, forgetting %.2f, %.0f s -> %s%n",
                ContinualRun.averageAccuracyText(results), results.lastAccuracy(), results.forgetting(),
                results.wallSeconds(), folder.resolve(RunResults.FILE_NAME));
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
            // Not a conditional expression: "cond ? double : long" promotes the long to a double, which turns
            // every integer override into 4.0 and fails validation.
            if (v.contains(".") || v.contains("e")) {
                return Double.parseDouble(v);
            }
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return v;
        }
    }
}
