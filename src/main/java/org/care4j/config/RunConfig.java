package org.care4j.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.care4j.runtime.CareException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configuration of one run: the keys of a published LAMDA-PILOT/CaRE JSON config, read unchanged, plus
 * care4j's own keys. Immutable; every value is validated when the config is read, and every error names the
 * file, the key, the value found and what was expected.
 *
 * <p><b>Published keys</b> (CARE-SPEC section 8). The keys whose values differ between the published configs are
 * required: {@code dataset, init_cls, increment, seed, tuned_epoch, init_lr, batch_size, crct_epochs, ca_lr,
 * ca_storage_efficient_method, decay}. Every other published key is optional and defaults to the value that all
 * published configs share (SGD, cosine schedule, weight decay 5e-4, min_lr 0, expert_dim 16, adapter_dim 64,
 * topk_experts 3, topk_routers 2, scale 20, m 0, no dropout, no AMP, iter_pred / aux_cos_loss / self_dist_loss
 * true). Keys about replay memory, {@code device}, {@code prefix} and {@code model_name} are kept for the record
 * and written back by {@link #toJson()}, but care4j does not act on them.
 *
 * <p><b>care4j's keys</b>, all optional: {@code method} (care | simplecil | aper_adapter | finetune, default care),
 * {@code backbone} (timm-layout safetensors; relative to the config file's folder), {@code data_root},
 * {@code image_size} (224), {@code images_per_class} and {@code test_images_per_class} (0 = all),
 * {@code threads} (0 = all cores), {@code eval_every} (1), {@code covariance_storage} (full | packed | half,
 * default packed), {@code decay_mode} (reference | positive, default reference), {@code max_tasks} (0 = all),
 * {@code workers} (0 = chosen by the loader).
 *
 * <p>Keys that are neither are ignored, logged at WARN and listed by {@link #warnings()}.
 */
public final class RunConfig {

    private static final Logger LOG = LoggerFactory.getLogger(RunConfig.class);

    /** Keeps decimals as written ({@code -0.0005}, {@code 64.0}) so that messages quote the file exactly. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Class counts of the benchmarks PILOT names, so that impossible splits fail when the config is read. A
     * dataset not listed here is checked by {@link #checkClassCount(int)} once its data is loaded.
     */
    private static final Map<String, Integer> KNOWN_CLASS_COUNTS = Map.of(
            "cifar224", 100,
            "imagenetr", 200,
            "imageneta", 200,
            "objectnet", 200,
            "omnibenchmark", 300,
            "omnibenchmark1k", 1000,
            "cub", 200,
            "vtab", 50);

    /** The learning method ({@code method}). */
    public enum Method { CARE, SIMPLECIL, APER_ADAPTER, FINETUNE }

    /** The optimiser ({@code optimizer}); CaRE's published configs all use SGD. */
    public enum Optimizer { SGD, ADAM, ADAMW }

    /** The learning-rate schedule ({@code scheduler}). */
    public enum Scheduler { COSINE, STEPLR, CONSTANT }

    /** Per-class statistics kept for classifier alignment ({@code ca_storage_efficient_method}). */
    public enum ClassStatistics { COVARIANCE, VARIANCE }

    /**
     * How a full covariance matrix is stored ({@code covariance_storage}): a dense d x d float matrix, the packed
     * upper triangle (d (d + 1) / 2 floats), or that triangle in half precision.
     */
    public enum CovarianceStorage { FULL, PACKED, HALF }

    /**
     * The mean-shrinking factor of classifier alignment when {@code decay} is true ({@code decay_mode}).
     * REFERENCE reproduces the reference code, which divides by a negative task size (factors about 0.8-0.95,
     * newest classes shrink most) and produced the published numbers; POSITIVE uses the intended positive size.
     */
    public enum DecayMode { REFERENCE, POSITIVE }

    // Published keys.
    private final String prefix;
    private final String dataset;
    private final int memorySize;
    private final int memoryPerClass;
    private final boolean fixedMemory;
    private final boolean shuffle;
    private final int initCls;
    private final int increment;
    private final String modelName;
    private final String backboneType;
    private final List<String> device;
    private final List<Integer> seeds;
    private final int tunedEpoch;
    private final double initLr;
    private final int batchSize;
    private final double weightDecay;
    private final double minLr;
    private final Optimizer optimizer;
    private final Scheduler scheduler;
    private final List<Integer> initMilestones;
    private final double initLrDecay;
    private final int crctEpochs;
    private final double caLr;
    private final ClassStatistics caStorageEfficientMethod;
    private final boolean decay;
    private final boolean pretrained;
    private final double scale;
    private final double margin;
    private final double drop;
    private final double dropPath;
    private final int expertDim;
    private final int adapterDim;
    private final int topkExperts;
    private final int topkRouters;
    private final boolean amp;
    private final boolean iterPred;
    private final boolean auxCosLoss;
    private final boolean selfDistLoss;

    // care4j's keys.
    private final Method method;
    private final Optional<Path> backbone;
    private final Optional<Path> dataRoot;
    private final int imageSize;
    private final int imagesPerClass;
    private final int testImagesPerClass;
    private final int threads;
    private final int evalEvery;
    private final CovarianceStorage covarianceStorage;
    private final DecayMode decayMode;
    private final int maxTasks;
    private final int workers;

    private final String source;
    private final List<String> warnings;

    private RunConfig(ConfigReader in) {
        prefix = in.string("prefix", "reproduce");
        dataset = in.nonEmptyString("dataset", null);
        memorySize = in.integer("memory_size", 0, 0);
        memoryPerClass = in.integer("memory_per_class", 0, 0);
        fixedMemory = in.bool("fixed_memory", false);
        shuffle = in.bool("shuffle", true);
        initCls = in.integer("init_cls", 1, null);
        increment = in.integer("increment", 1, null);
        modelName = in.string("model_name", "care");
        backboneType = in.string("backbone_type", "vit_base_patch16_224_in21k_care");
        device = in.stringOrIntegerList("device", List.of("0"));
        seeds = in.integerOrList("seed");
        tunedEpoch = in.integer("tuned_epoch", 0, null);
        initLr = in.number("init_lr", 0, false, null);
        batchSize = in.integer("batch_size", 1, null);
        weightDecay = in.number("weight_decay", 0, false, 5e-4);
        minLr = in.number("min_lr", 0, false, 0.0);
        optimizer = in.choice("optimizer", Optimizer.class, Optimizer.SGD);
        scheduler = in.choice("scheduler", Scheduler.class, Scheduler.COSINE);
        initMilestones = in.integerList("init_milestones", 0, List.of());
        initLrDecay = in.number("init_lr_decay", 0, true, 0.1);
        crctEpochs = in.integer("crct_epochs", 0, null);
        caLr = in.number("ca_lr", 0, false, null);
        caStorageEfficientMethod = in.choice("ca_storage_efficient_method", ClassStatistics.class, null);
        decay = in.bool("decay", null);
        pretrained = in.bool("pretrained", true);
        scale = in.number("scale", 0, true, 20.0);
        margin = in.number("m", 0, false, 0.0);
        drop = in.rate("drop", 0.0);
        dropPath = in.rate("drop_path", 0.0);
        expertDim = in.integer("expert_dim", 1, 16);
        adapterDim = in.integer("adapter_dim", 1, 64);
        topkExperts = in.integer("topk_experts", 1, 3);
        topkRouters = in.integer("topk_routers", 1, 2);
        amp = in.bool("amp", false);
        iterPred = in.bool("iter_pred", true);
        auxCosLoss = in.bool("aux_cos_loss", true);
        selfDistLoss = in.bool("self_dist_loss", true);

        method = in.choice("method", Method.class, Method.CARE);
        backbone = in.path("backbone");
        dataRoot = in.path("data_root");
        imageSize = in.integer("image_size", 1, 224);
        imagesPerClass = in.integer("images_per_class", 0, 0);
        testImagesPerClass = in.integer("test_images_per_class", 0, 0);
        threads = in.integer("threads", 0, 0);
        evalEvery = in.integer("eval_every", 1, 1);
        covarianceStorage = in.choice("covariance_storage", CovarianceStorage.class, CovarianceStorage.PACKED);
        decayMode = in.choice("decay_mode", DecayMode.class, DecayMode.REFERENCE);
        maxTasks = in.integer("max_tasks", 0, 0);
        workers = in.integer("workers", 0, 0);

        source = in.source();
        if (minLr > initLr) {
            throw in.failure("min_lr", "at most init_lr (" + initLr + ")", in.raw("min_lr"));
        }
        Integer known = KNOWN_CLASS_COUNTS.get(dataset);
        if (known != null) {
            checkSplit(in, known, "dataset \"" + dataset + "\"");
        }
        warnings = in.unreadKeys().stream()
                .map(key -> source + ": unknown key \"" + key + "\" is ignored")
                .toList();
        warnings.forEach(LOG::warn);
    }

    /**
     * Reads and validates a config file.
     *
     * @param file the JSON file; its folder is the base of relative {@code backbone} and {@code data_root} paths
     * @throws CareException when the file is missing, is not JSON, or holds a wrong or impossible value
     */
    public static RunConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new CareException(file + ": config file not found");
        } catch (IOException e) {
            throw new CareException(file + ": cannot read config file: " + e.getMessage(), e);
        }
        Path folder = file.toAbsolutePath().getParent();
        return parse(text, file.toString(), folder);
    }

    /**
     * Reads and validates a config from JSON text.
     *
     * @param json the JSON object
     * @param source what to call the text in messages, usually its file name
     * @param baseDir the folder that relative paths in the config are resolved against
     */
    public static RunConfig parse(String json, String source, Path baseDir) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new CareException(source + ": not valid JSON: " + e.getOriginalMessage()
                    + location(e), e);
        } catch (NumberFormatException e) {
            // Jackson reports a decimal whose exponent BigDecimal cannot hold this way, not as a parse error.
            String problem = String.valueOf(e.getMessage());
            throw new CareException(source + ": not valid JSON: a number out of range: "
                    + (problem.length() <= 100 ? problem : problem.substring(0, 97) + "..."), e);
        }
        return fromJson(root, source, baseDir);
    }

    /** Validates an already parsed JSON object, for example the {@code config} of a results file. */
    public static RunConfig fromJson(JsonNode root, String source, Path baseDir) {
        if (root == null || !root.isObject()) {
            String found = root == null || root.isMissingNode() ? "nothing" : root.getNodeType().name()
                    .toLowerCase(java.util.Locale.ROOT);
            throw new CareException(source + ": expected a JSON object at the top level, got " + found);
        }
        return new RunConfig(new ConfigReader((ObjectNode) root, source, baseDir));
    }

    /**
     * Returns a config with some keys replaced, validated like a file, for command-line flags. Values are what
     * the JSON would hold: String, Number, Boolean, List, or a {@link Path} (written as its absolute form);
     * relative path strings are taken against the current directory.
     *
     * @param overrides key to new value, for example {@code Map.of("data_root", Path.of("/data"))}
     * @param source what to call the overrides in messages, for example {@code "command line"}
     * @throws IllegalArgumentException when a key is not a config key (a programming error)
     * @throws CareException when a value is wrong, with {@code source} and the key in the message
     */
    public RunConfig withOverrides(Map<String, ?> overrides, String source) {
        ObjectNode json = toJson();
        for (Map.Entry<String, ?> entry : overrides.entrySet()) {
            if (!json.has(entry.getKey())) {
                throw new IllegalArgumentException("not a config key: " + entry.getKey());
            }
            Object value = entry.getValue();
            if (value instanceof Path path) {
                value = path.toAbsolutePath().normalize().toString();
            }
            json.set(entry.getKey(), JSON.valueToTree(value));
        }
        return fromJson(json, source, Path.of("").toAbsolutePath());
    }

    /** This config with another backbone file (from {@code --backbone} or {@code CARE_BACKBONE}). */
    public RunConfig withBackbone(Path file) {
        return withOverrides(Map.of("backbone", file), "backbone override");
    }

    /** This config with another data folder (from {@code --data-root}). */
    public RunConfig withDataRoot(Path folder) {
        return withOverrides(Map.of("data_root", folder), "data_root override");
    }

    /**
     * The config as one flat JSON object: the published keys in CARE-SPEC order, then care4j's keys. Paths are
     * absolute; an absent path is {@code null}. Reading this object back gives an equal config.
     */
    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("prefix", prefix);
        o.put("dataset", dataset);
        o.put("memory_size", memorySize);
        o.put("memory_per_class", memoryPerClass);
        o.put("fixed_memory", fixedMemory);
        o.put("shuffle", shuffle);
        o.put("init_cls", initCls);
        o.put("increment", increment);
        o.put("model_name", modelName);
        o.put("backbone_type", backboneType);
        ArrayNode deviceList = o.putArray("device");
        device.forEach(deviceList::add);
        ArrayNode seedList = o.putArray("seed");
        seeds.forEach(seedList::add);
        o.put("tuned_epoch", tunedEpoch);
        o.put("init_lr", initLr);
        o.put("batch_size", batchSize);
        o.put("weight_decay", weightDecay);
        o.put("min_lr", minLr);
        o.put("optimizer", ConfigReader.jsonName(optimizer));
        o.put("scheduler", ConfigReader.jsonName(scheduler));
        ArrayNode milestones = o.putArray("init_milestones");
        initMilestones.forEach(milestones::add);
        o.put("init_lr_decay", initLrDecay);
        o.put("crct_epochs", crctEpochs);
        o.put("ca_lr", caLr);
        o.put("ca_storage_efficient_method", ConfigReader.jsonName(caStorageEfficientMethod));
        o.put("decay", decay);
        o.put("pretrained", pretrained);
        o.put("scale", scale);
        o.put("m", margin);
        o.put("drop", drop);
        o.put("drop_path", dropPath);
        o.put("expert_dim", expertDim);
        o.put("adapter_dim", adapterDim);
        o.put("topk_experts", topkExperts);
        o.put("topk_routers", topkRouters);
        o.put("amp", amp);
        o.put("iter_pred", iterPred);
        o.put("aux_cos_loss", auxCosLoss);
        o.put("self_dist_loss", selfDistLoss);

        o.put("method", ConfigReader.jsonName(method));
        o.put("backbone", backbone.map(Path::toString).orElse(null));
        o.put("data_root", dataRoot.map(Path::toString).orElse(null));
        o.put("image_size", imageSize);
        o.put("images_per_class", imagesPerClass);
        o.put("test_images_per_class", testImagesPerClass);
        o.put("threads", threads);
        o.put("eval_every", evalEvery);
        o.put("covariance_storage", ConfigReader.jsonName(covarianceStorage));
        o.put("decay_mode", ConfigReader.jsonName(decayMode));
        o.put("max_tasks", maxTasks);
        o.put("workers", workers);
        return o;
    }

    /** {@link #toJson()} as indented text. */
    public String toJsonString() {
        try {
            return JSON.writeValueAsString(toJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot happen: a tree of plain values always serialises", e);
        }
    }

    /**
     * Checks the split against the real class count of the loaded dataset.
     *
     * @throws CareException when {@code init_cls} exceeds the classes
     */
    public void checkClassCount(int classes) {
        ConfigReader in = new ConfigReader(toJson(), source, Path.of(""));
        checkSplit(in, classes, "dataset \"" + dataset + "\" as loaded");
    }

    /** Class count of the dataset when it is one of the benchmarks PILOT names, else empty. */
    public OptionalInt knownClassCount() {
        Integer known = KNOWN_CLASS_COUNTS.get(dataset);
        return known == null ? OptionalInt.empty() : OptionalInt.of(known);
    }

    /**
     * Number of tasks of the split "B-init_cls Inc-increment" over {@code classes}: the first task has
     * {@code init_cls} classes, each later one {@code increment}, the last one possibly fewer.
     */
    public int taskCount(int classes) {
        if (classes < initCls) {
            throw new IllegalArgumentException("classes " + classes + " < init_cls " + initCls);
        }
        return 1 + (classes - initCls + increment - 1) / increment;
    }

    /** Tasks this run trains: all of them, or the first {@code max_tasks}. */
    public int tasksToRun(int classes) {
        int all = taskCount(classes);
        return maxTasks == 0 ? all : Math.min(all, maxTasks);
    }

    /**
     * Whether to evaluate after task {@code task} (0-based): after every {@code eval_every}-th task, counted from
     * one, and always after the last task run.
     */
    public boolean evaluatesAfter(int task, int tasksRun) {
        return (task + 1) % evalEvery == 0 || task == tasksRun - 1;
    }

    private void checkSplit(ConfigReader in, int classes, String what) {
        if (initCls > classes) {
            throw in.failure("init_cls", "at most " + classes + " (the classes of " + what + ")",
                    in.raw("init_cls"));
        }
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? ""
                : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
    }

    /** Where the config came from: a file name, or the source named in {@link #withOverrides}. */
    public String source() {
        return source;
    }

    /** One line per ignored unknown key; each was also logged at WARN. */
    public List<String> warnings() {
        return warnings;
    }

    /** {@code prefix}: a free label of the run. */
    public String prefix() {
        return prefix;
    }

    /** {@code dataset}: the benchmark, named as PILOT names it ("cifar224", "imagenetr", "omnibenchmark1k"...). */
    public String dataset() {
        return dataset;
    }

    /** {@code memory_size}: replay memory of exemplar methods; CaRE stores none. */
    public int memorySize() {
        return memorySize;
    }

    /** {@code memory_per_class}: replay memory per class; unused by CaRE. */
    public int memoryPerClass() {
        return memoryPerClass;
    }

    /** {@code fixed_memory}: whether replay memory is per class; unused by CaRE. */
    public boolean fixedMemory() {
        return fixedMemory;
    }

    /** {@code shuffle}: whether the class order is a seeded permutation (true) or the dataset's own order. */
    public boolean shuffle() {
        return shuffle;
    }

    /** {@code init_cls}: classes of the first task. */
    public int initCls() {
        return initCls;
    }

    /** {@code increment}: classes of each later task. */
    public int increment() {
        return increment;
    }

    /** {@code model_name}: PILOT's method name, kept for the record ({@link #method()} decides). */
    public String modelName() {
        return modelName;
    }

    /** {@code backbone_type}: the timm model name, kept for the record (the {@code backbone} file decides). */
    public String backboneType() {
        return backboneType;
    }

    /** {@code device}: PILOT's GPU list as strings; kept for the record. */
    public List<String> device() {
        return device;
    }

    /** {@code seed}: one run per seed, in order (a single integer in the file is a list of one). */
    public List<Integer> seeds() {
        return seeds;
    }

    /** {@code tuned_epoch}: training epochs per task (split in two stages from the second task on). */
    public int tunedEpoch() {
        return tunedEpoch;
    }

    /** {@code init_lr}: the starting learning rate of every task. */
    public double initLr() {
        return initLr;
    }

    /** {@code batch_size}: training minibatch size, also the base of classifier-alignment batches. */
    public int batchSize() {
        return batchSize;
    }

    /** {@code weight_decay}. */
    public double weightDecay() {
        return weightDecay;
    }

    /** {@code min_lr}: end of the cosine schedule of the first task; never above {@code init_lr}. */
    public double minLr() {
        return minLr;
    }

    /** {@code optimizer}. */
    public Optimizer optimizer() {
        return optimizer;
    }

    /** {@code scheduler}. */
    public Scheduler scheduler() {
        return scheduler;
    }

    /** {@code init_milestones}: epochs of the step schedule. */
    public List<Integer> initMilestones() {
        return initMilestones;
    }

    /** {@code init_lr_decay}: the step schedule's factor. */
    public double initLrDecay() {
        return initLrDecay;
    }

    /** {@code crct_epochs}: classifier-alignment epochs after each stage. */
    public int crctEpochs() {
        return crctEpochs;
    }

    /** {@code ca_lr}: classifier-alignment learning rate. */
    public double caLr() {
        return caLr;
    }

    /** {@code ca_storage_efficient_method}: full covariance or diagonal variance per class. */
    public ClassStatistics caStorageEfficientMethod() {
        return caStorageEfficientMethod;
    }

    /** {@code decay}: whether classifier alignment shrinks the sampled class means (see {@link #decayMode()}). */
    public boolean decay() {
        return decay;
    }

    /** {@code pretrained}: whether the backbone starts from pre-trained weights. */
    public boolean pretrained() {
        return pretrained;
    }

    /** {@code scale}: the factor s of the cosine logits wherever a softmax is taken (20). */
    public double scale() {
        return scale;
    }

    /** {@code m}: the CosFace margin (0, or 0.3 for ImageNet-A). */
    public double margin() {
        return margin;
    }

    /** {@code drop}: dropout rate of the backbone. */
    public double drop() {
        return drop;
    }

    /** {@code drop_path}: stochastic-depth rate of the backbone. */
    public double dropPath() {
        return dropPath;
    }

    /** {@code expert_dim}: bottleneck width of each task expert (16). */
    public int expertDim() {
        return expertDim;
    }

    /** {@code adapter_dim}: bottleneck width of the shared expert (64). */
    public int adapterDim() {
        return adapterDim;
    }

    /** {@code topk_experts}: K, experts kept per picked router (3). */
    public int topkExperts() {
        return topkExperts;
    }

    /** {@code topk_routers}: M, routers picked per sample and block (2). */
    public int topkRouters() {
        return topkRouters;
    }

    /** {@code amp}: mixed precision; off in every published config. */
    public boolean amp() {
        return amp;
    }

    /** {@code iter_pred}: iterative inference over task hypotheses (true) or the single pass only (false). */
    public boolean iterPred() {
        return iterPred;
    }

    /** {@code aux_cos_loss}: CosFace (true) or plain cross-entropy (false) as the auxiliary hard term. */
    public boolean auxCosLoss() {
        return auxCosLoss;
    }

    /** {@code self_dist_loss}: temperature 2 for blocks 6-11 in the auxiliary soft term (true) or 1 everywhere. */
    public boolean selfDistLoss() {
        return selfDistLoss;
    }

    /** {@code method}: the learning method care4j runs. */
    public Method method() {
        return method;
    }

    /** {@code backbone}: absolute path of the timm-layout safetensors, or empty to take it from the command line. */
    public Optional<Path> backbone() {
        return backbone;
    }

    /** {@code data_root}: absolute path of the dataset folder, or empty when not given. */
    public Optional<Path> dataRoot() {
        return dataRoot;
    }

    /** {@code image_size}: side of the square network input in pixels (224). */
    public int imageSize() {
        return imageSize;
    }

    /** {@code images_per_class}: training images used per class, 0 for all. */
    public int imagesPerClass() {
        return imagesPerClass;
    }

    /** {@code test_images_per_class}: test images used per class, 0 for all. */
    public int testImagesPerClass() {
        return testImagesPerClass;
    }

    /** {@code threads}: intra-op threads, 0 for all cores. */
    public int threads() {
        return threads;
    }

    /** {@code eval_every}: evaluate after every N-th task and always after the last one. */
    public int evalEvery() {
        return evalEvery;
    }

    /** {@code covariance_storage}: how full class covariances are stored. */
    public CovarianceStorage covarianceStorage() {
        return covarianceStorage;
    }

    /** {@code decay_mode}: which mean-decay factor classifier alignment uses. */
    public DecayMode decayMode() {
        return decayMode;
    }

    /** {@code max_tasks}: stop after this many tasks, 0 for all. */
    public int maxTasks() {
        return maxTasks;
    }

    /** {@code workers}: data-loader threads, 0 to let the loader choose. */
    public int workers() {
        return workers;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RunConfig that && toJson().equals(that.toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        Map<String, Object> shown = new LinkedHashMap<>();
        shown.put("source", source);
        shown.put("method", ConfigReader.jsonName(method));
        shown.put("dataset", dataset);
        shown.put("split", "B" + initCls + " Inc" + increment);
        shown.put("seeds", seeds);
        return "RunConfig" + shown;
    }
}
