package org.care4j.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import org.care4j.config.RunConfig;
import org.care4j.runtime.CareException;

/**
 * The {@code manifest.json} of a saved model folder: what the tensors in {@code model.safetensors} mean and how
 * they were made. Immutable; {@link #read} validates every field, and each error names the file, the field, the
 * value found and what was expected.
 *
 * <pre>{@code
 * {
 *   "format": "care4j-model", "format_version": 1, "care4j_version": "0.1.0",
 *   "created": "2025-01-31T10:00:00Z", "updated": "2025-02-02T09:30:00Z",
 *   "backbone": {"file": "vit-tiny.safetensors", "path": "/models/vit-tiny.safetensors", "sha256": "9f3c...",
 *                "bytes": 22869992, "depth": 12, "width": 192, "heads": 3, "patch": 16, "mlp_width": 768,
 *                "parameters": 5717416},
 *   "input": {"image_size": 224, "train_transform": "cifarTrain", "test_transform": "cifarTest"},
 *   "classes": ["cat", "dog", "robin"],
 *   "tasks": [{"index": 0, "name": "pets", "classes": ["cat", "dog"], "train_images": 40, "epochs": 10,
 *              "source": "/photos/pets", "learned": "...", "seconds": 61.2,
 *              "test": {"source": "/photos/pets-test", "images": 10, "accuracy": 0.9}}, ...],
 *   "config": { the RunConfig as RunConfig.toJson() writes it },
 *   "statistics": {"kind": "covariance", "storage": "packed"},
 *   "seed": 1993,
 *   "weights": {"file": "model.safetensors", "sha256": "...", "bytes": 1234567}
 * }
 * }</pre>
 *
 * <p>Classes are listed in label order: the position of a name is the class index of the network's classifier,
 * and the tasks' class lists, concatenated, give the same list.
 */
public final class ModelManifest {

    /** Value of the {@code format} field. */
    public static final String FORMAT = "care4j-model";

    /** The format version this build writes and the newest it reads. */
    public static final int FORMAT_VERSION = 1;

    /** Transforms a model may name; the only pair so far (pixels normalised with mean = std = 0.5). */
    static final String TRAIN_TRANSFORM = "cifarTrain";
    static final String TEST_TRANSFORM = "cifarTest";

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /**
     * The frozen backbone the model was trained on: where it was, its SHA-256 and its shape.
     *
     * @param file file name
     * @param path absolute path when the model was created or last given
     * @param sha256 lower-case hex digest of the whole file
     * @param bytes file size
     * @param parameters backbone parameter count (frozen)
     */
    public record Backbone(String file, String path, String sha256, long bytes, int depth, int width, int heads,
            int patch, int mlpWidth, long parameters) {

        /** The shape, as messages print it. */
        public String shape() {
            return "depth " + depth + ", width " + width + ", " + heads + " heads, patch " + patch;
        }
    }

    /**
     * The test images of a task and the model's top-1 accuracy on them right after that task.
     *
     * @param source folder they came from
     * @param images test images
     * @param accuracy share correct, in [0, 1]
     */
    public record Test(String source, int images, double accuracy) {}

    /**
     * One learned task.
     *
     * @param index task index, from 0
     * @param name the task's name (by default its training folder's name)
     * @param classes the task's class names, in label order
     * @param trainImages training images used
     * @param epochs training epochs
     * @param source where the training images came from
     * @param learned when the task was learned (ISO-8601)
     * @param seconds training time
     * @param test accuracy on test images given with the task, or null
     */
    public record Task(int index, String name, List<String> classes, int trainImages, int epochs, String source,
            String learned, double seconds, Test test) {
        public Task {
            classes = List.copyOf(classes);
        }
    }

    private final String care4jVersion;
    private final String created;
    private final String updated;
    private final Backbone backbone;
    private final int imageSize;
    private final List<String> classes;
    private final List<Task> tasks;
    private final ObjectNode config;
    private final String statisticsKind;
    private final String statisticsStorage;
    private final long seed;
    private final String weightsSha256;
    private final long weightsBytes;

    ModelManifest(String care4jVersion, String created, String updated, Backbone backbone, int imageSize,
            List<Task> tasks, ObjectNode config, String statisticsKind, String statisticsStorage, long seed,
            String weightsSha256, long weightsBytes) {
        this.care4jVersion = care4jVersion;
        this.created = created;
        this.updated = updated;
        this.backbone = backbone;
        this.imageSize = imageSize;
        this.tasks = List.copyOf(tasks);
        this.classes = tasks.stream().flatMap(t -> t.classes().stream()).toList();
        this.config = config.deepCopy();
        this.statisticsKind = statisticsKind;
        this.statisticsStorage = statisticsStorage;
        this.seed = seed;
        this.weightsSha256 = weightsSha256;
        this.weightsBytes = weightsBytes;
    }

    /** The care4j version that last wrote the model. */
    public String care4jVersion() {
        return care4jVersion;
    }

    /** When the model was first saved (ISO-8601 instant). */
    public String created() {
        return created;
    }

    /** When the model was last saved (ISO-8601 instant). */
    public String updated() {
        return updated;
    }

    public Backbone backbone() {
        return backbone;
    }

    /** Side of the square network input in pixels. */
    public int imageSize() {
        return imageSize;
    }

    /** Every class name in label order. */
    public List<String> classes() {
        return classes;
    }

    public List<Task> tasks() {
        return tasks;
    }

    /** The run config, as {@link RunConfig#toJson()} wrote it (a copy). */
    public ObjectNode config() {
        return config.deepCopy();
    }

    /** {@code covariance} or {@code variance}. */
    public String statisticsKind() {
        return statisticsKind;
    }

    /** {@code full}, {@code packed} or {@code half}. */
    public String statisticsStorage() {
        return statisticsStorage;
    }

    /** The seed every initialiser and shuffle of the model derives from. */
    public long seed() {
        return seed;
    }

    /** SHA-256 of {@code model.safetensors}. */
    public String weightsSha256() {
        return weightsSha256;
    }

    /** Size of {@code model.safetensors} in bytes. */
    public long weightsBytes() {
        return weightsBytes;
    }

    /** The manifest as JSON, fields in the order of the class description. */
    public ObjectNode toJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", FORMAT);
        o.put("format_version", FORMAT_VERSION);
        o.put("care4j_version", care4jVersion);
        o.put("created", created);
        o.put("updated", updated);
        ObjectNode b = o.putObject("backbone");
        b.put("file", backbone.file());
        b.put("path", backbone.path());
        b.put("sha256", backbone.sha256());
        b.put("bytes", backbone.bytes());
        b.put("depth", backbone.depth());
        b.put("width", backbone.width());
        b.put("heads", backbone.heads());
        b.put("patch", backbone.patch());
        b.put("mlp_width", backbone.mlpWidth());
        b.put("parameters", backbone.parameters());
        ObjectNode input = o.putObject("input");
        input.put("image_size", imageSize);
        input.put("train_transform", TRAIN_TRANSFORM);
        input.put("test_transform", TEST_TRANSFORM);
        ArrayNode names = o.putArray("classes");
        classes.forEach(names::add);
        ArrayNode list = o.putArray("tasks");
        for (Task t : tasks) {
            ObjectNode n = list.addObject();
            n.put("index", t.index());
            n.put("name", t.name());
            ArrayNode c = n.putArray("classes");
            t.classes().forEach(c::add);
            n.put("train_images", t.trainImages());
            n.put("epochs", t.epochs());
            n.put("source", t.source());
            n.put("learned", t.learned());
            n.put("seconds", Math.round(t.seconds() * 1000) / 1000.0);
            if (t.test() == null) {
                n.putNull("test");
            } else {
                ObjectNode test = n.putObject("test");
                test.put("source", t.test().source());
                test.put("images", t.test().images());
                test.put("accuracy", t.test().accuracy());
            }
        }
        o.set("config", config.deepCopy());
        ObjectNode s = o.putObject("statistics");
        s.put("kind", statisticsKind);
        s.put("storage", statisticsStorage);
        o.put("seed", seed);
        ObjectNode w = o.putObject("weights");
        w.put("file", ModelDirectory.WEIGHTS);
        w.put("sha256", weightsSha256);
        w.put("bytes", weightsBytes);
        return o;
    }

    /** {@link #toJson()} as indented UTF-8 text. */
    byte[] toBytes() {
        try {
            return JSON.writeValueAsBytes(toJson());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain values always serialises", e);
        }
    }

    /**
     * Reads and validates a manifest.
     *
     * @throws CareException when the file is missing, is not JSON, has a newer format version, or holds a wrong
     *     or inconsistent value; the message names the file and the field
     */
    public static ModelManifest read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CareException(file.getParent() + ": not a care4j model folder (no " + file.getFileName()
                    + ")");
        } catch (IOException e) {
            throw new CareException(file + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (IOException | NumberFormatException e) {
            String why = e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
            throw new CareException(file + ": not valid JSON: " + why, e);
        }
        return parse(new Fields(root, file.toString()), file.getParent());
    }

    private static ModelManifest parse(Fields in, Path folder) {
        if (!in.root().isObject()) {
            throw new CareException(in.source() + ": expected a JSON object at the top level");
        }
        String format = in.text("format");
        if (!format.equals(FORMAT)) {
            throw in.failure("format", "\"" + FORMAT + "\" (a care4j model)", in.root().get("format"));
        }
        long version = in.integer("format_version", 1);
        if (version > FORMAT_VERSION) {
            throw new CareException(in.source() + ": field \"format_version\": model format version " + version
                    + " is newer than this care4j reads (" + FORMAT_VERSION + "); use a newer care4j");
        }
        String care4j = in.text("care4j_version");
        String created = in.text("created");
        String updated = in.text("updated");

        Fields b = in.object("backbone");
        String sha = b.matching("sha256", SHA256, "64 lower-case hex digits");
        Backbone backbone = new Backbone(b.text("file"), b.text("path"), sha, b.integer("bytes", 1),
                b.small("depth", 1), b.small("width", 1), b.small("heads", 1),
                b.small("patch", 1), b.small("mlp_width", 1), b.integer("parameters", 1));

        Fields input = in.object("input");
        int imageSize = input.small("image_size", 1);
        String train = input.text("train_transform");
        String test = input.text("test_transform");
        if (!train.equals(TRAIN_TRANSFORM)) {
            throw input.failure("train_transform", "\"" + TRAIN_TRANSFORM + "\"", input.root().get("train_transform"));
        }
        if (!test.equals(TEST_TRANSFORM)) {
            throw input.failure("test_transform", "\"" + TEST_TRANSFORM + "\"", input.root().get("test_transform"));
        }

        List<String> classes = in.names("classes");
        List<Task> tasks = new ArrayList<>();
        JsonNode list = in.array("tasks");
        for (int i = 0; i < list.size(); i++) {
            Fields t = in.element("tasks", i);
            int index = t.small("index", 0);
            if (index != i) {
                throw t.failure("index", Integer.toString(i), t.root().get("index"));
            }
            Test testResult = null;
            JsonNode testNode = t.root().get("test");
            if (testNode != null && !testNode.isNull()) {
                Fields r = t.object("test");
                double accuracy = r.number("accuracy");
                if (!(accuracy >= 0 && accuracy <= 1)) {
                    throw r.failure("accuracy", "a number in [0, 1]", r.root().get("accuracy"));
                }
                testResult = new Test(r.text("source"), r.small("images", 1), accuracy);
            }
            tasks.add(new Task(i, t.text("name"), t.names("classes"), t.small("train_images", 1),
                    t.small("epochs", 0), t.text("source"), t.text("learned"), t.number("seconds"),
                    testResult));
        }
        List<String> fromTasks = tasks.stream().flatMap(t -> t.classes().stream()).toList();
        if (!fromTasks.equals(classes)) {
            throw new CareException(in.source() + ": field \"classes\" lists " + shown(classes)
                    + " but the tasks' classes are " + shown(fromTasks));
        }
        Set<String> seen = new HashSet<>();
        for (String c : classes) {
            if (!seen.add(c)) {
                throw new CareException(in.source() + ": field \"classes\": class \"" + c + "\" appears twice");
            }
        }

        ObjectNode config = (ObjectNode) in.objectNode("config");
        // Validates the config as a config file would be, with the manifest as its source.
        RunConfig.fromJson(config, in.source() + " field \"config\"", folder);
        Fields s = in.object("statistics");
        String kind = s.choice("kind", "covariance", "variance");
        String storage = s.choice("storage", "full", "packed", "half");
        long seed = in.integer("seed", Long.MIN_VALUE);
        Fields w = in.object("weights");
        if (!ModelDirectory.WEIGHTS.equals(w.text("file"))) {
            throw w.failure("file", "\"" + ModelDirectory.WEIGHTS + "\"", w.root().get("file"));
        }
        String weightsSha = w.matching("sha256", SHA256, "64 lower-case hex digits");
        long weightsBytes = w.integer("bytes", 8);
        return new ModelManifest(care4j, created, updated, backbone, imageSize, tasks, config, kind, storage, seed,
                weightsSha, weightsBytes);
    }

    /** The version Maven packaged, or "development" when running from compiled classes. */
    static String currentVersion() {
        try (InputStream in = ModelManifest.class.getResourceAsStream(
                "/META-INF/maven/org.care4j/care4j/pom.properties")) {
            if (in != null) {
                Properties properties = new Properties();
                properties.load(in);
                return properties.getProperty("version", "development");
            }
        } catch (IOException e) {
            // Fall through: the version is informative only.
        }
        return "development";
    }

    private static String shown(List<String> names) {
        String text = names.toString();
        return text.length() <= 120 ? text : text.substring(0, 117) + "...";
    }

    /** Typed access to the fields of one JSON object, with errors that name the file and the field path. */
    private record Fields(JsonNode root, String source, String path) {

        Fields(JsonNode root, String source) {
            this(root, source, "");
        }

        private String name(String key) {
            return path.isEmpty() ? key : path + "." + key;
        }

        CareException failure(String key, String expected, JsonNode got) {
            String value = got == null ? "nothing" : got.toString();
            if (value.length() > 60) {
                value = value.substring(0, 57) + "...";
            }
            return new CareException(source + ": field \"" + name(key) + "\": expected " + expected + ", got "
                    + value);
        }

        private JsonNode required(String key, String expected) {
            JsonNode node = root.get(key);
            if (node == null) {
                throw new CareException(source + ": field \"" + name(key) + "\" is missing: expected " + expected);
            }
            return node;
        }

        String text(String key) {
            JsonNode node = required(key, "a string");
            if (!node.isTextual()) {
                throw failure(key, "a string", node);
            }
            return node.textValue();
        }

        long integer(String key, long min) {
            String expected = min == Long.MIN_VALUE ? "an integer" : "an integer of at least " + min;
            JsonNode node = required(key, expected);
            if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < min) {
                throw failure(key, expected, node);
            }
            return node.longValue();
        }

        int small(String key, int min) {
            String expected = "an integer of at least " + min;
            JsonNode node = required(key, expected);
            if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < min) {
                throw failure(key, expected, node);
            }
            return node.intValue();
        }

        double number(String key) {
            JsonNode node = required(key, "a number");
            if (!node.isNumber() || !Double.isFinite(node.doubleValue()) || node.doubleValue() < 0) {
                throw failure(key, "a non-negative number", node);
            }
            return node.doubleValue();
        }

        String choice(String key, String... allowed) {
            String expected = "one of \"" + String.join("\", \"", allowed) + "\"";
            JsonNode node = required(key, expected);
            if (node.isTextual() && List.of(allowed).contains(node.textValue().toLowerCase(Locale.ROOT))) {
                return node.textValue().toLowerCase(Locale.ROOT);
            }
            throw failure(key, expected, node);
        }

        String matching(String key, Pattern pattern, String expected) {
            JsonNode node = required(key, expected);
            if (!node.isTextual() || !pattern.matcher(node.textValue()).matches()) {
                throw failure(key, expected, node);
            }
            return node.textValue();
        }

        JsonNode objectNode(String key) {
            JsonNode node = required(key, "an object");
            if (!node.isObject()) {
                throw failure(key, "an object", node);
            }
            return node;
        }

        Fields object(String key) {
            return new Fields(objectNode(key), source, name(key));
        }

        JsonNode array(String key) {
            JsonNode node = required(key, "a list");
            if (!node.isArray()) {
                throw failure(key, "a list", node);
            }
            return node;
        }

        Fields element(String key, int i) {
            JsonNode node = array(key).get(i);
            if (!node.isObject()) {
                throw new CareException(source + ": field \"" + name(key) + "[" + i + "]\": expected an object, got "
                        + node);
            }
            return new Fields(node, source, name(key) + "[" + i + "]");
        }

        List<String> names(String key) {
            JsonNode node = array(key);
            List<String> out = new ArrayList<>();
            for (JsonNode n : node) {
                if (!n.isTextual() || n.textValue().isBlank()) {
                    throw failure(key, "a list of non-empty class names", node);
                }
                out.add(n.textValue());
            }
            return out;
        }
    }
}
