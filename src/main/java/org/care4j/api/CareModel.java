package org.care4j.api;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.care4j.config.RunConfig;
import org.care4j.data.Batch;
import org.care4j.data.BatchLoader;
import org.care4j.data.ImageTransform;
import org.care4j.data.Transforms;
import org.care4j.io.MalformedFileException;
import org.care4j.io.SafeTensors;
import org.care4j.io.SafeTensorsWriter;
import org.care4j.learn.CareLearner;
import org.care4j.learn.ClassStatistics;
import org.care4j.learn.ClassifierAlignment;
import org.care4j.learn.Prediction;
import org.care4j.learn.TaskData;
import org.care4j.model.BrMoeBlock.Routing;
import org.care4j.model.CareNetwork;
import org.care4j.model.VisionTransformer;
import org.care4j.runtime.CareException;
import org.care4j.runtime.NativeMemory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One CaRE model that an application keeps and teaches new classes as they arrive: a frozen ViT backbone, a
 * BR-MoE module in every block, a cosine classifier over every class learned so far, and the class statistics
 * that keep old classes in place (CARE-SPEC sections 2 to 6). Each {@link #learnTask} adds one task of new
 * classes; {@link #predict} names the best classes of images among everything learned; {@link #save} writes the
 * model folder that {@link #load} reads back.
 *
 * <pre>{@code
 * Path backbone = Path.of("models/vit-tiny-patch16-224/model.safetensors");
 * try (CareModel model = CareModel.create(backbone, CareModel.defaultConfig())) {
 *     model.learnTask(Path.of("photos/pets"));             // photos/pets/cat/*.jpg, photos/pets/dog/*.jpg
 *     model.save(Path.of("my-model"));
 * }
 * try (CareModel model = CareModel.load(Path.of("my-model"))) {
 *     model.learnTask(NewTask.fromFolder(Path.of("photos/birds")).withEpochs(5));   // new classes only
 *     List<List<ClassScore>> best = model.predict(List.of(Path.of("garden.jpg")), 3);
 *     System.out.println(best.get(0));                      // [ClassScore[className=robin, score=0.91], ...]
 *     model.save(Path.of("my-model"));                      // atomic: the old or the new model, never half
 * }
 * }</pre>
 *
 * <p><b>Input images</b> are JPEG, PNG or BMP files of at least {@value #MIN_IMAGE_SIDE}x{@value #MIN_IMAGE_SIDE}
 * and at most {@link org.care4j.data.ImageDecoder#MAX_PIXELS} pixels. For training they are resized to the
 * config's {@code image_size} with a random resized crop, a flip and brightness jitter; for prediction the
 * shorter side is resized and the centre cropped; pixels are normalised with mean = std = 0.5, as the timm ViTs
 * were pre-trained.
 *
 * <p><b>Failures.</b> Every method checks its inputs before it changes anything and reports a user's mistake as
 * one {@link CareException} that names the file, the field or the class. If training itself fails half-way, this
 * object refuses further use (load the model again); the saved folder is never touched by anything but
 * {@link #save}. Not thread-safe; one process should save a given folder at a time.
 */
public final class CareModel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CareModel.class);

    /** Smallest width and height of an input image, in pixels. */
    public static final int MIN_IMAGE_SIDE = 16;

    /** Fewest training images per class: class statistics need a covariance. */
    public static final int MIN_TRAINING_IMAGES = 2;

    /**
     * The config {@link #defaultConfig()} gives: small and CPU-friendly (ViT-Ti/16 at 224 pixels learns a task of
     * a few hundred images in minutes on a laptop), otherwise the published CaRE settings.
     */
    static final String DEFAULT_CONFIG = """
            {
              "prefix": "care4j-model",
              "dataset": "custom",
              "init_cls": 1,
              "increment": 1,
              "seed": [1993],
              "tuned_epoch": 10,
              "init_lr": 0.01,
              "batch_size": 16,
              "crct_epochs": 5,
              "ca_lr": 0.005,
              "ca_storage_efficient_method": "covariance",
              "decay": false,
              "iter_pred": true,
              "image_size": 224
            }
            """;

    private final NDManager manager;
    private final VisionTransformer vit;
    private final RunConfig config;
    private final CareNetwork network;
    private final ClassStatistics statistics;
    private final List<ModelManifest.Task> tasks;
    private final List<String> classes;
    private final String created;
    private ModelManifest.Backbone backbone;
    private String failure;

    private CareModel(NDManager manager, VisionTransformer vit, ModelManifest.Backbone backbone, RunConfig config,
            CareNetwork network, ClassStatistics statistics, List<ModelManifest.Task> tasks, String created) {
        this.manager = manager;
        this.vit = vit;
        this.backbone = backbone;
        this.config = config;
        this.network = network;
        this.statistics = statistics;
        this.tasks = new ArrayList<>(tasks);
        this.classes = new ArrayList<>();
        tasks.forEach(t -> classes.addAll(t.classes()));
        this.created = created;
    }

    /**
     * The config a new model gets when none is given: {@code tuned_epoch} 10, {@code init_lr} 0.01,
     * {@code batch_size} 16, {@code crct_epochs} 5, {@code ca_lr} 0.005, full covariances (packed), no mean decay,
     * iterative prediction, {@code image_size} 224, seed 1993; every other key at its published default. Change
     * keys with {@link RunConfig#withOverrides}.
     */
    public static RunConfig defaultConfig() {
        return RunConfig.parse(DEFAULT_CONFIG, "default model config", Path.of("").toAbsolutePath());
    }

    /**
     * A config file read on top of {@link #defaultConfig()}: the file may hold only the keys it changes, and each
     * is validated as in a run config, with errors that name the file, the key, the value and what is expected.
     */
    public static RunConfig configFrom(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new CareException(file + ": config file not found");
        } catch (IOException e) {
            throw new CareException(file + ": cannot read config file: " + e.getMessage(), e);
        }
        JsonNode given;
        try {
            given = new ObjectMapper()
                    .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                    .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                    .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
                    .readTree(text);
        } catch (JsonProcessingException e) {
            throw new CareException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (NumberFormatException e) {
            throw new CareException(file + ": not valid JSON: a number out of range", e);
        }
        if (given == null || !given.isObject()) {
            throw new CareException(file + ": expected a JSON object at the top level");
        }
        ObjectNode merged = defaultConfig().toJson();
        merged.setAll((ObjectNode) given);
        Path folder = file.toAbsolutePath().getParent();
        return RunConfig.fromJson(merged, file.toString(), folder);
    }

    /**
     * Whether {@code dir} holds a saved model, after finishing an interrupted save there.
     *
     * @return false when {@code dir} is missing or an empty folder, where {@link #save} may create a model
     * @throws CareException when {@code dir} is a file, or a folder with other content and no manifest
     */
    public static boolean exists(Path dir) {
        Path folder = dir.toAbsolutePath().normalize();
        ModelDirectory.recover(folder);
        if (!Files.exists(folder)) {
            return false;
        }
        if (!Files.isDirectory(folder)) {
            throw new CareException(folder + ": exists and is a file, not a model folder");
        }
        if (Files.isRegularFile(folder.resolve(ModelDirectory.MANIFEST))) {
            return true;
        }
        try (Stream<Path> entries = Files.list(folder)) {
            if (entries.findAny().isPresent()) {
                throw new CareException(folder + ": exists and is not a care4j model folder (no "
                        + ModelDirectory.MANIFEST + "); give a new or empty folder");
            }
        } catch (IOException e) {
            throw new CareException(folder + ": cannot list the folder: " + e.getMessage(), e);
        }
        return false;
    }

    /**
     * Checks that an image can be given to {@link #predict} without decoding it: present, JPEG/PNG/BMP by its
     * signature, at least {@value #MIN_IMAGE_SIDE} pixels a side and at most the pixel limit by its header.
     */
    public static void checkImage(Path file) {
        InputImages.checkImage(file, false);
    }

    /**
     * A model that knows no class yet.
     *
     * @param backboneFile a timm-layout ViT in safetensors; its SHA-256 is recorded, and a saved model only loads
     *     with the same file
     * @param config training settings ({@code method} must be {@code care}); its {@code image_size} fixes the
     *     network input for the model's whole life
     * @throws CareException if the backbone file is missing or not a ViT checkpoint, or the config is unusable
     */
    public static CareModel create(Path backboneFile, RunConfig config) {
        if (config.method() != RunConfig.Method.CARE) {
            throw new CareException(config.source() + ": key \"method\": a saved model learns with \"care\" only,"
                    + " got \"" + config.method().name().toLowerCase(Locale.ROOT) + "\"");
        }
        Path file = backboneFile.toAbsolutePath().normalize();
        String sha = backboneDigest(file);
        NDManager manager = NDManager.newBaseManager();
        try {
            VisionTransformer vit = loadBackbone(file, config.imageSize(), config, manager);
            VisionTransformer.Architecture a = vit.architecture();
            ModelManifest.Backbone identity = new ModelManifest.Backbone(file.getFileName().toString(),
                    file.toString(), sha, size(file), a.depth(), a.width(), a.heads(), a.patch(), a.mlpWidth(),
                    vit.parameterCount());
            long seed = config.seeds().get(0);
            CareNetwork network = CareNetwork.create(vit, networkSettings(config), seed, manager);
            RunConfig recorded = config.withBackbone(file);
            return new CareModel(manager, vit, identity, recorded, network, emptyStatistics(config, vit.width()),
                    List.of(), now());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Loads a saved model with the backbone file recorded in its manifest.
     *
     * @throws CareException if the folder is not a complete care4j model of a format this build reads, a file's
     *     checksum differs from the manifest's, or the recorded backbone is missing or changed
     */
    public static CareModel load(Path dir) {
        return load(dir, null);
    }

    /**
     * Loads a saved model.
     *
     * @param backboneFile the backbone the model was trained on, when it no longer lies where the manifest says;
     *     null for the recorded path. A file with another SHA-256 is refused.
     */
    public static CareModel load(Path dir, Path backboneFile) {
        Path folder = dir.toAbsolutePath().normalize();
        ModelManifest manifest = readVerified(folder);
        Path manifestFile = folder.resolve(ModelDirectory.MANIFEST);
        ModelManifest.Backbone recorded = manifest.backbone();
        Path file = backboneFile != null ? backboneFile.toAbsolutePath().normalize() : Path.of(recorded.path());
        if (!Files.isRegularFile(file)) {
            throw new CareException(backboneFile != null ? file + ": backbone file not found"
                    : manifestFile + ": the backbone " + file + " recorded for this model is missing; give its"
                            + " current location (--backbone)");
        }
        String sha = backboneDigest(file);
        if (!sha.equals(recorded.sha256())) {
            throw new CareException(manifestFile + ": this model was trained on the backbone " + recorded.path()
                    + " (sha256 " + recorded.sha256().substring(0, 12) + ", " + recorded.shape() + "), but " + file
                    + " is a different file (sha256 " + sha.substring(0, 12) + "); give the backbone the model was"
                    + " trained on (--backbone)");
        }
        RunConfig config = RunConfig.fromJson(manifest.config(), manifestFile + " field \"config\"", folder);
        checkStatisticsField(manifest, config, manifestFile);
        NDManager manager = NDManager.newBaseManager();
        try {
            VisionTransformer vit = loadBackbone(file, manifest.imageSize(), manager);
            VisionTransformer.Architecture a = vit.architecture();
            if (a.depth() != recorded.depth() || a.width() != recorded.width() || a.patch() != recorded.patch()) {
                throw new CareException(manifestFile + ": field \"backbone\" records " + recorded.shape()
                        + " but " + file + " is " + a.depth() + " blocks of width " + a.width() + ", patch "
                        + a.patch());
            }
            long seed = manifest.seed();
            Path weights = folder.resolve(ModelDirectory.WEIGHTS);
            CareLearner learner;
            try (SafeTensors in = SafeTensors.open(weights)) {
                learner = CareLearner.readFrom(in, vit, networkSettings(config), learnerSettings(config, 0, seed),
                        emptyStatistics(config, vit.width()), Routing.SPARSE, manager);
            } catch (MalformedFileException e) {
                throw new CareException(e.getMessage(), e);
            } catch (IOException e) {
                throw new CareException(weights + ": cannot read: " + e.getMessage(), e);
            }
            int[] perTask = learner.network().classifier().heads().stream()
                    .mapToInt(h -> (int) h.getShape().get(0)).toArray();
            int[] expected = manifest.tasks().stream().mapToInt(t -> t.classes().size()).toArray();
            if (!Arrays.equals(perTask, expected)) {
                throw new CareException(weights + ": holds tasks of " + Arrays.toString(perTask) + " classes but "
                        + manifestFile + " lists tasks of " + Arrays.toString(expected));
            }
            ModelManifest.Backbone where = backboneFile == null ? recorded
                    : new ModelManifest.Backbone(file.getFileName().toString(), file.toString(), sha, size(file),
                            recorded.depth(), recorded.width(), recorded.heads(), recorded.patch(),
                            recorded.mlpWidth(), recorded.parameters());
            return new CareModel(manager, vit, where, config, learner.network(), learner.statistics(),
                    manifest.tasks(), manifest.created());
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Describes a saved model without loading its backbone: tasks, classes, parameters per part and memory. The
     * manifest and the weights' checksum are verified as {@link #load} does.
     */
    public static ModelInspection inspect(Path dir) {
        Path folder = dir.toAbsolutePath().normalize();
        ModelManifest manifest = readVerified(folder);
        Path weights = folder.resolve(ModelDirectory.WEIGHTS);
        try (SafeTensors in = SafeTensors.open(weights)) {
            return ModelInspection.of(folder, manifest, in);
        } catch (MalformedFileException e) {
            throw new CareException(e.getMessage(), e);
        } catch (IOException e) {
            throw new CareException(weights + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Learns the classes of a folder of class folders ({@code folder/<class>/<images>}) as one new task. */
    public ModelManifest.Task learnTask(Path classFolder) {
        return learnTask(NewTask.fromFolder(classFolder));
    }

    /** Learns the given classes, each with its training images, as one new task. */
    public ModelManifest.Task learnTask(String name, Map<String, List<Path>> images) {
        return learnTask(NewTask.of(name, images));
    }

    /**
     * Learns one new task: checks everything first (new class names only, at least
     * {@value #MIN_TRAINING_IMAGES} decodable images per class, test classes known or new), trains, and when test
     * images are given measures top-1 accuracy on them.
     *
     * @return the task as the manifest will record it
     * @throws CareException naming the class, file or folder at fault; nothing has changed then, unless the
     *     failure came during training, after which this object refuses further use
     */
    public ModelManifest.Task learnTask(NewTask task) {
        checkUsable();
        checkNewTask(task);
        int index = tasks.size();
        int first = classes.size();
        List<String> names = new ArrayList<>(task.train().keySet());
        List<Path> files = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int c = 0; c < names.size(); c++) {
            for (Path f : task.train().get(names.get(c))) {
                files.add(f);
                labels.add(first + c);
            }
        }
        List<String> all = new ArrayList<>(classes);
        all.addAll(names);
        FileImages images = new FileImages(files, labels.stream().mapToInt(Integer::intValue).toArray(), all);
        int epochs = task.epochs() > 0 ? task.epochs() : config.tunedEpoch();
        LOG.info("learning task {} \"{}\": {} new classes, {} images, {} epochs ({} classes known)", index + 1,
                task.name(), names.size(), files.size(), epochs, first);
        long start = System.nanoTime();
        try (FileTask data = new FileTask(index, first, names.size(), images)) {
            learner(epochs).learnTask(data);
        } catch (RuntimeException | Error e) {
            failure = "learning task " + (index + 1) + " failed (" + e.getMessage() + ")";
            throw e;
        }
        NativeMemory.release();
        // Milliseconds, as the manifest keeps them, so that a loaded task equals the learned one.
        double seconds = Math.round((System.nanoTime() - start) / 1e6) / 1000.0;
        classes.addAll(names);
        ModelManifest.Test test = null;
        if (!task.test().isEmpty()) {
            test = evaluate(task.test(), task.testSource());
        }
        ModelManifest.Task done = new ModelManifest.Task(index, task.name(), names, files.size(), epochs,
                task.source(), now(), seconds, test);
        tasks.add(done);
        LOG.info("task {} \"{}\" learned in {} s{}", index + 1, task.name(), String.format("%.1f", seconds),
                test == null ? "" : String.format(", test accuracy %.2f %% on %d images", 100 * test.accuracy(),
                        test.images()));
        return done;
    }

    /**
     * Top-1 accuracy on test images of known classes.
     *
     * @param images class name to images; every class must be known
     * @param source where the images come from, for the result
     */
    public ModelManifest.Test evaluate(Map<String, List<Path>> images, String source) {
        checkUsable();
        checkTestClasses(images, Set.of());
        InputImages.check(images, 1, "test", true);
        List<Path> files = new ArrayList<>();
        List<Integer> truth = new ArrayList<>();
        images.forEach((name, list) -> list.forEach(f -> {
            files.add(f);
            truth.add(classes.indexOf(name));
        }));
        int[] labels = truth.stream().mapToInt(Integer::intValue).toArray();
        int correct = 0;
        FileImages data = new FileImages(files, labels, classes);
        try (BatchLoader loader = loader(data, false, 0)) {
            for (Batch batch : loader) {
                try (NDScope scope = new NDScope()) {
                    Prediction p = learner(0).predict(batch.images(manager));
                    for (int i = 0; i < p.size(); i++) {
                        if (p.top(i, 1)[0] == batch.labels()[i]) {
                            correct++;
                        }
                    }
                }
            }
        }
        return new ModelManifest.Test(source, files.size(), (double) correct / files.size());
    }

    /**
     * The {@code top} best classes of each image, best first, with their scores.
     *
     * <p>Images are checked first (present, JPEG/PNG/BMP, within the size limits), then decoded on loader threads
     * and classified {@code batch_size} at a time. The score is the model's probability for the class: the
     * softmax of the scaled cosine logits, averaged with the softmax of the most confident task hypothesis when
     * the config predicts iteratively ({@code iter_pred}).
     *
     * @param top classes per image (at most the classes known)
     * @return one list per image, in the order given
     * @throws CareException if the model knows no class yet or an image is unusable (named)
     */
    public List<List<ClassScore>> predict(List<Path> images, int top) {
        checkUsable();
        if (top < 1) {
            throw new IllegalArgumentException("top must be at least 1, got " + top);
        }
        if (classes.isEmpty()) {
            throw new CareException("the model has learned no classes yet; learn a task first");
        }
        for (Path f : images) {
            InputImages.checkImage(f, false);
        }
        int k = Math.min(top, classes.size());
        double share = config.iterPred() && tasks.size() > 1 ? 0.5 : 1.0;
        List<List<ClassScore>> out = new ArrayList<>(Collections.nCopies(images.size(), null));
        FileImages data = new FileImages(images, new int[images.size()], classes);
        try (BatchLoader loader = loader(data, false, 0)) {
            for (Batch batch : loader) {
                try (NDScope scope = new NDScope()) {
                    Prediction p = learner(0).predict(batch.images(manager));
                    for (int i = 0; i < p.size(); i++) {
                        List<ClassScore> best = new ArrayList<>(k);
                        for (int c : p.top(i, k)) {
                            best.add(new ClassScore(classes.get(c), share * p.scores()[i * p.classes() + c]));
                        }
                        out.set(batch.indices()[i], List.copyOf(best));
                    }
                }
            }
        }
        return out;
    }

    /**
     * Writes the model folder: {@code model.safetensors} (the learned tensors and class statistics) and
     * {@code manifest.json}. The folder is replaced atomically: after a crash at any moment it holds either the
     * old or the new complete model (see {@link #load}).
     *
     * @throws CareException if {@code dir} exists but is neither a model folder nor empty, or the disk fails
     */
    public void save(Path dir) {
        checkUsable();
        String updated = now();
        ModelDirectory.replace(dir, folder -> {
            Path weights = folder.resolve(ModelDirectory.WEIGHTS);
            SafeTensorsWriter out = new SafeTensorsWriter().metadata("format", "pt")
                    .metadata("care4j.model", Integer.toString(ModelManifest.FORMAT_VERSION));
            learner(0).writeTo(out);
            out.write(weights);
            ModelManifest manifest = new ModelManifest(ModelManifest.currentVersion(), created, updated, backbone,
                    config.imageSize(), tasks, config.toJson(), statisticsKind(config), statisticsStorage(config),
                    config.seeds().get(0), ModelDirectory.sha256(weights), Files.size(weights));
            ModelDirectory.writeFile(folder.resolve(ModelDirectory.MANIFEST), manifest.toBytes());
        });
        LOG.info("saved {} ({} tasks, {} classes)", dir, tasks.size(), classes.size());
    }

    /** Class names in label order. */
    public List<String> classes() {
        return List.copyOf(classes);
    }

    /** The tasks learned, in order. */
    public List<ModelManifest.Task> tasks() {
        return List.copyOf(tasks);
    }

    /** The model's config, fixed when it was created. */
    public RunConfig config() {
        return config;
    }

    /** The backbone the model is bound to. */
    public ModelManifest.Backbone backbone() {
        return backbone;
    }

    /** Parameters that were learned (experts, routers, perceptrons, shared experts, heads). */
    public long learnedParameters() {
        return learner(0).parametersAdded();
    }

    @Override
    public void close() {
        network.close();
        manager.close();
    }

    // ---- checks ----

    private void checkUsable() {
        if (failure != null) {
            throw new IllegalStateException(failure + "; this object is unusable, load the model again");
        }
    }

    private void checkNewTask(NewTask task) {
        if (task.name() == null || task.name().isBlank()) {
            throw new CareException("the task needs a name");
        }
        Map<String, Integer> taskOf = new LinkedHashMap<>();
        for (ModelManifest.Task t : tasks) {
            t.classes().forEach(c -> taskOf.put(c, t.index()));
        }
        List<String> known = task.train().keySet().stream().filter(taskOf::containsKey).toList();
        if (!known.isEmpty()) {
            Map<Integer, List<String>> byTask = known.stream()
                    .collect(Collectors.groupingBy(taskOf::get, TreeMap::new, Collectors.toList()));
            String which = byTask.entrySet().stream().map(e -> e.getValue().stream().map(c -> "\"" + c + "\"")
                    .collect(Collectors.joining(", ")) + " (task " + (e.getKey() + 1) + " \""
                    + tasks.get(e.getKey()).name() + "\")").collect(Collectors.joining(", "));
            throw new CareException((known.size() == 1 ? "class " : "classes ") + which
                    + (known.size() == 1 ? " is" : " are") + " already known to the model; a task brings new classes"
                    + " only");
        }
        InputImages.check(task.train(), MIN_TRAINING_IMAGES, "training", true);
        if (!task.test().isEmpty()) {
            checkTestClasses(task.test(), task.train().keySet());
            InputImages.check(task.test(), 1, "test", true);
        }
    }

    private void checkTestClasses(Map<String, List<Path>> test, Set<String> alsoAllowed) {
        Set<String> allowed = new HashSet<>(classes);
        allowed.addAll(alsoAllowed);
        List<String> unknown = test.keySet().stream().filter(c -> !allowed.contains(c)).toList();
        if (!unknown.isEmpty()) {
            throw new CareException("test " + (unknown.size() == 1 ? "class " : "classes ")
                    + unknown.stream().map(c -> "\"" + c + "\"").collect(Collectors.joining(", "))
                    + " neither known to the model nor learned in this task");
        }
    }

    private static ModelManifest readVerified(Path folder) {
        ModelDirectory.recover(folder);
        if (!Files.isDirectory(folder)) {
            throw new CareException(folder + ": no such model folder");
        }
        ModelManifest manifest = ModelManifest.read(folder.resolve(ModelDirectory.MANIFEST));
        Path weights = folder.resolve(ModelDirectory.WEIGHTS);
        if (!Files.isRegularFile(weights)) {
            throw new CareException(weights + ": missing (the manifest's weights file)");
        }
        long bytes = size(weights);
        if (bytes != manifest.weightsBytes()) {
            throw new CareException(weights + ": " + bytes + " bytes, but the manifest records "
                    + manifest.weightsBytes() + (bytes < manifest.weightsBytes() ? " (truncated?)" : ""));
        }
        String sha;
        try {
            sha = ModelDirectory.sha256(weights);
        } catch (IOException e) {
            throw new CareException(weights + ": cannot read: " + e.getMessage(), e);
        }
        if (!sha.equals(manifest.weightsSha256())) {
            throw new CareException(weights + ": sha256 " + sha + " does not match the manifest's "
                    + manifest.weightsSha256() + " (the file was changed or damaged)");
        }
        return manifest;
    }

    private static void checkStatisticsField(ModelManifest manifest, RunConfig config, Path manifestFile) {
        String kind = statisticsKind(config);
        String storage = statisticsStorage(config);
        if (!manifest.statisticsKind().equals(kind) || !manifest.statisticsStorage().equals(storage)) {
            throw new CareException(manifestFile + ": field \"statistics\" says " + manifest.statisticsKind() + "/"
                    + manifest.statisticsStorage() + " but the config says " + kind + "/" + storage);
        }
    }

    // ---- building blocks ----

    private CareLearner learner(int epochs) {
        return new CareLearner(network, learnerSettings(config, epochs, config.seeds().get(0)), statistics,
                Routing.SPARSE, manager);
    }

    private static CareLearner.Settings learnerSettings(RunConfig config, int epochs, long seed) {
        ClassifierAlignment.Decay decay = !config.decay() ? ClassifierAlignment.Decay.NONE
                : config.decayMode() == RunConfig.DecayMode.POSITIVE ? ClassifierAlignment.Decay.POSITIVE
                : ClassifierAlignment.Decay.REFERENCE;
        return new CareLearner.Settings(epochs > 0 ? epochs : config.tunedEpoch(), config.initLr(), config.minLr(),
                config.weightDecay(), config.batchSize(), config.scale(), config.margin(), config.auxCosLoss(),
                config.selfDistLoss(), config.crctEpochs(), config.caLr(), decay, config.iterPred(), seed);
    }

    private static CareNetwork.Settings networkSettings(RunConfig config) {
        return new CareNetwork.Settings(config.expertDim(), config.adapterDim(), config.topkRouters(),
                config.topkExperts(), 0.1f);
    }

    private static ClassStatistics emptyStatistics(RunConfig config, int width) {
        return new ClassStatistics(width,
                config.caStorageEfficientMethod() == RunConfig.ClassStatistics.VARIANCE
                        ? ClassStatistics.Kind.VARIANCE : ClassStatistics.Kind.COVARIANCE,
                ClassStatistics.Storage.valueOf(config.covarianceStorage().name()), (double) 1e-4f);
    }

    private static String statisticsKind(RunConfig config) {
        return config.caStorageEfficientMethod().name().toLowerCase(Locale.ROOT);
    }

    private static String statisticsStorage(RunConfig config) {
        return config.covarianceStorage().name().toLowerCase(Locale.ROOT);
    }

    private static VisionTransformer loadBackbone(Path file, int imageSize, NDManager manager) {
        return loadBackbone(file, imageSize, null, manager);
    }

    /**
     * @param config the config that asks for {@code imageSize}, named when the size does not suit the patch size;
     *     null when the size comes from a saved model
     */
    private static VisionTransformer loadBackbone(Path file, int imageSize, RunConfig config, NDManager manager) {
        try (SafeTensors weights = SafeTensors.open(file)) {
            String patchWeights = "patch_embed.proj.weight";
            if (config != null && weights.contains(patchWeights) && weights.info(patchWeights).shape().length == 4) {
                long patch = weights.info(patchWeights).shape()[2];
                if (patch > 0 && imageSize % patch != 0) {
                    throw new CareException(config.source() + ": key \"image_size\": expected a multiple of the"
                            + " backbone's patch size " + patch + ", got " + imageSize);
                }
            }
            return VisionTransformer.load(weights, "", 0, imageSize, DataType.FLOAT32, manager);
        } catch (MalformedFileException e) {
            throw new CareException(e.getMessage() + " (the backbone)", e);
        } catch (IOException e) {
            throw new CareException(file + ": cannot read the backbone: " + e.getMessage(), e);
        }
    }

    private static String backboneDigest(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new CareException(file + ": backbone file not found");
        }
        try {
            return ModelDirectory.sha256(file);
        } catch (IOException e) {
            throw new CareException(file + ": cannot read the backbone: " + e.getMessage(), e);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new CareException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    private BatchLoader loader(FileImages data, boolean train, long seed) {
        int size = config.imageSize();
        ImageTransform transform = train ? Transforms.cifarTrain(size) : Transforms.cifarTest(size);
        BatchLoader.Builder b = BatchLoader.builder().dataset(data, data::label).transform(transform)
                .batchSize(config.batchSize()).shuffle(train).seed(seed);
        if (config.workers() > 0) {
            b.workers(config.workers());
        }
        return b.build();
    }

    /** One new task over image files; every loader it opens is closed when its epoch ends, or at the latest
     * when the task is closed. */
    private final class FileTask implements TaskData, AutoCloseable {
        private final int task;
        private final int first;
        private final int count;
        private final FileImages images;
        private final List<BatchLoader> open = new ArrayList<>();

        FileTask(int task, int first, int count, FileImages images) {
            this.task = task;
            this.first = first;
            this.count = count;
            this.images = images;
        }

        @Override
        public int task() {
            return task;
        }

        @Override
        public int firstClass() {
            return first;
        }

        @Override
        public int classes() {
            return count;
        }

        @Override
        public long trainImages() {
            return images.size();
        }

        @Override
        public Iterable<Batch> trainBatches(long seed) {
            return once(loader(images, true, seed));
        }

        @Override
        public Iterable<Batch> featureBatches() {
            return once(loader(images, false, 0));
        }

        private Iterable<Batch> once(BatchLoader loader) {
            open.add(loader);
            return () -> {
                Iterator<Batch> it = loader.iterator();
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        boolean more = it.hasNext();
                        if (!more) {
                            loader.close();
                        }
                        return more;
                    }

                    @Override
                    public Batch next() {
                        return it.next();
                    }
                };
            };
        }

        @Override
        public void close() {
            open.forEach(BatchLoader::close);
        }
    }
}
