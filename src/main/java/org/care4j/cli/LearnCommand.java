package org.care4j.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.care4j.api.CareModel;
import org.care4j.api.ModelManifest;
import org.care4j.api.NewTask;
import org.care4j.config.RunConfig;
import org.care4j.runtime.CareException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code care learn}: one new task for a saved model, from a folder of class folders. Creates the model on first
 * use. Everything is checked before training starts, and the model folder is only replaced, atomically, once the
 * task is learned; any failure leaves it as it was.
 */
@Command(name = "learn", mixinStandardHelpOptions = true,
        description = {"Teach a saved model the classes of one new task (FOLDER/<class>/<images>).",
            "Creates the model on first use; refuses classes the model already knows."})
final class LearnCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model folder (created if new).")
    Path model;

    @Option(names = "--train", required = true, paramLabel = "FOLDER",
            description = "Training images, one sub-folder per new class.")
    Path train;

    @Option(names = "--test", paramLabel = "FOLDER",
            description = "Test images, one sub-folder per class (new or known); accuracy is recorded.")
    Path test;

    @Option(names = "--backbone", paramLabel = "FILE",
            description = "timm ViT safetensors; needed to create a model (default: $CARE_BACKBONE), or to"
                    + " point an existing model at its moved backbone.")
    Path backbone;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Config JSON for a new model; its keys replace the defaults (see docs/PRODUCT.md).")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Config key for a new model, e.g. --set image_size=112 (repeatable).")
    Map<String, String> overrides = new LinkedHashMap<>();

    @Option(names = "--name", description = "Task name (default: the training folder's name).")
    String name;

    @Option(names = "--epochs", paramLabel = "N", description = "Training epochs of this task (default: tuned_epoch).")
    Integer epochs;

    @Override
    public Integer call() {
        if (epochs != null && epochs < 1) {
            throw new CareException("--epochs: expected a positive number of epochs, got " + epochs);
        }
        if (name != null && name.isBlank()) {
            throw new CareException("--name: expected a task name, got an empty one");
        }
        boolean exists = CareModel.exists(model);
        NewTask task = NewTask.fromFolder(train);
        if (test != null) {
            task = task.withTestFolder(test);
        }
        if (name != null) {
            task = task.withName(name);
        }
        if (epochs != null) {
            task = task.withEpochs(epochs);
        }
        CareModel m;
        if (exists) {
            if (config != null || !overrides.isEmpty()) {
                throw new CareException((config != null ? "--config" : "--set") + ": " + model
                        + " already holds a model, and a model's config is fixed when it is created");
            }
            m = CareModel.load(model, backbone);
        } else {
            Path weights = backbone != null ? backbone : Commands.env("CARE_BACKBONE");
            if (weights == null) {
                throw new CareException(model + ": no model there yet; creating one needs --backbone FILE (a timm"
                        + " ViT in safetensors) or $CARE_BACKBONE");
            }
            RunConfig cfg = config != null ? CareModel.configFrom(config) : CareModel.defaultConfig();
            cfg = Commands.withOverrides(cfg, overrides);
            m = CareModel.create(weights, cfg);
        }
        try (CareModel open = m) {
            ModelManifest.Task done = open.learnTask(task);
            open.save(model);
            System.out.println(summary(done, open, model));
        }
        return 0;
    }

    private static String summary(ModelManifest.Task t, CareModel m, Path dir) {
        List<String> classes = t.classes();
        String shown = classes.size() <= 6 ? String.join(", ", classes)
                : String.join(", ", classes.subList(0, 5)) + ", ... (" + classes.size() + ")";
        StringBuilder s = new StringBuilder(String.format("task %d \"%s\": %d new classes (%s), %d images, %d epochs,"
                + " %.1f s", t.index() + 1, t.name(), classes.size(), shown, t.trainImages(), t.epochs(),
                t.seconds()));
        if (t.test() != null) {
            s.append(String.format("; test accuracy %.2f %% on %d images", 100 * t.test().accuracy(),
                    t.test().images()));
        }
        s.append(String.format(" -> %s (%d classes in %d tasks)", dir, m.classes().size(), m.tasks().size()));
        return s.toString();
    }
}
