package org.care4j.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import org.care4j.config.RunConfig;
import org.care4j.runtime.CareException;

/**
 * The record of one run, task by task, and its {@code results.json}.
 *
 * <p>The learner creates it with the run's config and class order, adds one {@link TaskRecord} after each task
 * and calls {@link #write} (an atomic replace, so a crash never leaves half a file). {@link #read} gives the same
 * object back, for resuming a run or for the report; it ignores keys it does not know and refuses a file that
 * lacks a required one. Summary numbers (Ā, A_B, forgetting, the curve, routing) are always recomputed from the
 * task records, never trusted from the file.
 *
 * <pre>{@code
 * RunResults results = new RunResults(config, classOrder);          // or RunResults.read(runDir) to resume
 * for (int t = ...) {
 *     ... train task t ...
 *     TaskRecord.Builder record = TaskRecord.builder(t, positionsOfTask)
 *             .trainImagesPerSecond(imagesPerSecond).seconds(taskSeconds).rssMb(ProcessMemory.residentMb());
 *     if (config.evaluatesAfter(t, tasksRun)) {
 *         TaskEvaluation.Builder eval = TaskEvaluation.builder(t, taskOfPosition);
 *         for (each test batch) {
 *             eval.addPredictions(truePositions, top5);           // int[n], int[n][5]
 *             eval.addRouting(truePositions, routers, experts);  // CaRE only: int[blocks][n][M], [blocks][n][K*M]
 *         }
 *         record.evaluation(eval.seconds(evalSeconds).build());
 *     }
 *     results.addTask(record.build());
 *     results.write(runDir.resolve(RunResults.FILE_NAME));
 * }
 * }</pre>
 *
 * <p>Top-level keys written, summary first: {@code method, average_accuracy, last_accuracy, forgetting,
 * evaluated_tasks, all_tasks_evaluated, accuracy_curve, routing, peak_memory_mb, wall_seconds,
 * parameters_added} (when set), {@code extra} (when any), {@code provenance, config, class_order, tasks}. Each
 * task has {@code task, classes} (original class indices) {@code , positions} (indices in the class order)
 * {@code , evaluated, accuracy, top5, group_accuracy, group_samples, samples, eval_seconds, routing,
 * train_images_per_s, seconds, rss_mb, extra}. Accuracies are in %; a number that was not measured is
 * {@code null}. Required when reading: {@code method, config, class_order, tasks}, and per task {@code task,
 * positions, evaluated}, plus {@code accuracy} and {@code group_accuracy} for an evaluated task.
 */
public final class RunResults {

    /** The file name inside a run folder. */
    public static final String FILE_NAME = "results.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Indented objects, each array on one line, {@code "key": value}. */
    private static final ObjectWriter WRITER = JSON.writer(new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withSeparators(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)));

    private final ObjectNode config;
    private final String method;
    private final int[] classOrder;
    private final String started;
    private final String writtenBy;
    private final List<TaskRecord> tasks = new ArrayList<>();
    private final Map<String, Double> extra = new LinkedHashMap<>();
    private Long parametersAdded;
    private double wallSeconds = Double.NaN;
    private double peakMemoryMb = Double.NaN;

    /**
     * Starts the record of a run.
     *
     * @param config the run's config, stored as {@link RunConfig#toJson()}
     * @param classOrder original class index of each position: {@code classOrder[p]} is the class learned p-th
     */
    public RunResults(RunConfig config, int[] classOrder) {
        this(config.toJson(), config.method().name().toLowerCase(java.util.Locale.ROOT), classOrder,
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), currentVersion());
    }

    private RunResults(ObjectNode config, String method, int[] classOrder, String started, String writtenBy) {
        this.config = config.deepCopy();
        this.method = method;
        this.classOrder = classOrder.clone();
        this.started = started;
        this.writtenBy = writtenBy;
    }

    /**
     * Appends the record of the next task.
     *
     * @throws IllegalArgumentException when the task is not the next one or names a position outside the order
     */
    public void addTask(TaskRecord record) {
        if (record.task() != tasks.size()) {
            throw new IllegalArgumentException("expected the record of task " + tasks.size() + ", got task "
                    + record.task());
        }
        for (int position : record.positions()) {
            if (position < 0 || position >= classOrder.length) {
                throw new IllegalArgumentException("task " + record.task() + " names class position "
                        + position + ", outside the class order of " + classOrder.length);
            }
        }
        tasks.add(record);
    }

    /** Sets the run's total wall time; without it {@link #wallSeconds()} is the sum of the tasks' seconds. */
    public void setWallSeconds(double seconds) {
        this.wallSeconds = seconds;
    }

    /** Sets the run's peak memory (for example {@link ProcessMemory#peakResidentMb()}). */
    public void setPeakMemoryMb(double megabytes) {
        this.peakMemoryMb = megabytes;
    }

    /** Sets the number of parameters the method added over the run (shown by the report). */
    public void setParametersAdded(long count) {
        this.parametersAdded = count;
    }

    /** Keeps one more run-level number under {@code extra}. */
    public void putExtra(String name, double value) {
        extra.put(name, value);
    }

    /** The config as stored (flat JSON object); a copy. */
    public ObjectNode config() {
        return config.deepCopy();
    }

    /** The method's name ({@code care}, {@code simplecil}, ...). */
    public String method() {
        return method;
    }

    /** The dataset named in the config, or "" when the config has none. */
    public String dataset() {
        return config.path("dataset").asText("");
    }

    /** Original class index of each position. */
    public int[] classOrder() {
        return classOrder.clone();
    }

    /** The task records so far. */
    public List<TaskRecord> tasks() {
        return Collections.unmodifiableList(tasks);
    }

    /** A fresh accuracy matrix of the evaluated tasks. */
    public AccuracyMatrix accuracyMatrix() {
        AccuracyMatrix matrix = new AccuracyMatrix();
        tasks.forEach(t -> t.evaluation().ifPresent(matrix::record));
        return matrix;
    }

    /** Ā over the evaluated tasks; NaN when none. */
    public double averageAccuracy() {
        return accuracyMatrix().averageAccuracy();
    }

    /** A_B, the accuracy after the last evaluated task; NaN when none. */
    public double lastAccuracy() {
        return accuracyMatrix().lastAccuracy();
    }

    /** Forgetting as defined by {@link AccuracyMatrix}; NaN with fewer than two evaluated tasks. */
    public double forgetting() {
        return accuracyMatrix().forgetting();
    }

    /** Wall time in seconds: as set, else the sum of the tasks' seconds that were measured. */
    public double wallSeconds() {
        if (!Double.isNaN(wallSeconds)) {
            return wallSeconds;
        }
        return tasks.stream().mapToDouble(TaskRecord::seconds).filter(s -> !Double.isNaN(s)).sum();
    }

    /** Peak memory in MiB: the larger of the value set and every task's resident memory; NaN when neither. */
    public double peakMemoryMb() {
        double peak = peakMemoryMb;
        for (TaskRecord t : tasks) {
            if (!Double.isNaN(t.rssMb())) {
                peak = Double.isNaN(peak) ? t.rssMb() : Math.max(peak, t.rssMb());
            }
        }
        return peak;
    }

    /** Parameters the method added, when the learner set them. */
    public OptionalLong parametersAdded() {
        return parametersAdded == null ? OptionalLong.empty() : OptionalLong.of(parametersAdded);
    }

    /** Run-level extra numbers. */
    public Map<String, Double> extra() {
        return Collections.unmodifiableMap(extra);
    }

    /** When the run started (ISO-8601 instant), as first recorded. */
    public String started() {
        return started;
    }

    /** The care4j version that wrote the file read, or this one for a new record. */
    public String care4jVersion() {
        return writtenBy;
    }

    /** The last evaluation that has routing diagnostics, or null. */
    public TaskEvaluation lastRoutedEvaluation() {
        for (int i = tasks.size() - 1; i >= 0; i--) {
            TaskEvaluation e = tasks.get(i).evaluation().orElse(null);
            if (e != null && !e.routing().isEmpty()) {
                return e;
            }
        }
        return null;
    }

    /** The whole record as the JSON object written to {@code results.json}. */
    public ObjectNode toJson() {
        AccuracyMatrix matrix = accuracyMatrix();
        ObjectNode o = JSON.createObjectNode();
        o.put("method", method);
        putNumber(o, "average_accuracy", matrix.averageAccuracy());
        putNumber(o, "last_accuracy", matrix.lastAccuracy());
        putNumber(o, "forgetting", matrix.forgetting());
        ArrayNode evaluated = o.putArray("evaluated_tasks");
        for (int t : matrix.evaluatedTasks()) {
            evaluated.add(t);
        }
        o.put("all_tasks_evaluated", matrix.size() == tasks.size());
        ArrayNode curve = o.putArray("accuracy_curve");
        for (int t : matrix.evaluatedTasks()) {
            ObjectNode point = curve.addObject();
            point.put("task", t);
            putNumber(point, "accuracy", matrix.accuracy(t));
        }
        o.set("routing", routingJson());
        putNumber(o, "peak_memory_mb", peakMemoryMb());
        putNumber(o, "wall_seconds", wallSeconds());
        if (parametersAdded != null) {
            o.put("parameters_added", parametersAdded);
        }
        if (!extra.isEmpty()) {
            ObjectNode extras = o.putObject("extra");
            extra.forEach((name, value) -> putNumber(extras, name, value));
        }
        o.set("provenance", provenance());
        o.set("config", config.deepCopy());
        ArrayNode order = o.putArray("class_order");
        for (int c : classOrder) {
            order.add(c);
        }
        ArrayNode taskList = o.putArray("tasks");
        tasks.forEach(t -> taskList.add(taskJson(t)));
        return o;
    }

    /**
     * Writes {@link #toJson()} to {@code file} atomically: into a temporary file in the same folder, flushed to
     * disk, then renamed over the target. Creates the folder when needed.
     */
    public void write(Path file) {
        Path target = file.toAbsolutePath();
        Path folder = target.getParent();
        Path temporary = null;
        try {
            Files.createDirectories(folder);
            temporary = Files.createTempFile(folder, "." + target.getFileName(), ".tmp");
            try (OutputStream out = Files.newOutputStream(temporary, StandardOpenOption.WRITE)) {
                WRITER.writeValue(out, toJson());
            }
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
            temporary = null;
        } catch (IOException e) {
            throw new CareException(target + ": cannot write results: " + e.getMessage(), e);
        } finally {
            if (temporary != null) {
                try {
                    Files.deleteIfExists(temporary);
                } catch (IOException ignored) {
                    // The write already failed; that error is the one to report.
                }
            }
        }
    }

    /**
     * Reads a results file, or the {@code results.json} inside a run folder.
     *
     * @throws CareException when the file is missing, is not JSON, or lacks or garbles a required key
     */
    public static RunResults read(Path fileOrRunFolder) {
        Path file = Files.isDirectory(fileOrRunFolder) ? fileOrRunFolder.resolve(FILE_NAME) : fileOrRunFolder;
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new CareException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new CareException(Files.isDirectory(fileOrRunFolder)
                    ? fileOrRunFolder + ": no " + FILE_NAME + " in this folder"
                    : file + ": results file not found");
        } catch (IOException e) {
            throw new CareException(file + ": cannot read results: " + e.getMessage(), e);
        }
        return new ResultsReader(file.toString()).read(root);
    }

    private ObjectNode provenance() {
        ObjectNode p = JSON.createObjectNode();
        p.put("care4j_version", currentVersion());
        p.put("started", started);
        p.put("written", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        p.put("java_version", System.getProperty("java.version"));
        p.put("java_vendor", System.getProperty("java.vendor"));
        p.put("host_cores", Runtime.getRuntime().availableProcessors());
        p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        return p;
    }

    /** The version Maven packaged, or "development" when running from compiled classes. */
    static String currentVersion() {
        try (InputStream in = RunResults.class.getResourceAsStream(
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

    private JsonNode routingJson() {
        List<TaskEvaluation> routed = new ArrayList<>();
        tasks.forEach(t -> t.evaluation().filter(e -> !e.routing().isEmpty()).ifPresent(routed::add));
        if (routed.isEmpty()) {
            return JSON.nullNode();
        }
        TaskEvaluation last = routed.get(routed.size() - 1);
        ObjectNode r = JSON.createObjectNode();
        r.put("task", last.task());
        r.set("blocks", blocksJson(last.routing()));
        ArrayNode perTask = r.putArray("per_task");
        for (TaskEvaluation e : routed) {
            ObjectNode row = perTask.addObject();
            row.put("task", e.task());
            ArrayNode recall = row.putArray("r_at_m");
            ArrayNode experts = row.putArray("e_at_k");
            for (BlockRouting b : e.routing()) {
                addNumber(recall, b.routerRecall());
                addNumber(experts, b.expertRecall());
            }
        }
        return r;
    }

    private static ArrayNode blocksJson(List<BlockRouting> routing) {
        ArrayNode blocks = JSON.createArrayNode();
        for (BlockRouting b : routing) {
            ObjectNode block = blocks.addObject();
            block.put("block", b.block());
            putNumber(block, "r_at_m", b.routerRecall());
            putNumber(block, "e_at_k", b.expertRecall());
        }
        return blocks;
    }

    private ObjectNode taskJson(TaskRecord t) {
        ObjectNode o = JSON.createObjectNode();
        o.put("task", t.task());
        ArrayNode classes = o.putArray("classes");
        ArrayNode positions = o.putArray("positions");
        for (int p : t.positions()) {
            classes.add(classOrder[p]);
            positions.add(p);
        }
        TaskEvaluation e = t.evaluation().orElse(null);
        o.put("evaluated", e != null);
        putNumber(o, "accuracy", e == null ? Double.NaN : e.top1());
        putNumber(o, "top5", e == null ? Double.NaN : e.top5());
        if (e == null) {
            o.putNull("group_accuracy");
            o.putNull("group_samples");
            o.putNull("samples");
            o.putNull("eval_seconds");
            o.putNull("routing");
        } else {
            ArrayNode groups = o.putArray("group_accuracy");
            for (double a : e.groupAccuracy()) {
                addNumber(groups, a);
            }
            ArrayNode counts = o.putArray("group_samples");
            for (int n : e.groupSamples()) {
                counts.add(n);
            }
            o.put("samples", e.samples());
            putNumber(o, "eval_seconds", e.seconds());
            o.set("routing", e.routing().isEmpty() ? JSON.nullNode() : blocksJson(e.routing()));
        }
        putNumber(o, "train_images_per_s", t.trainImagesPerSecond());
        putNumber(o, "seconds", t.seconds());
        putNumber(o, "rss_mb", t.rssMb());
        ObjectNode extras = o.putObject("extra");
        t.extra().forEach((name, value) -> putNumber(extras, name, value));
        return o;
    }

    private static void putNumber(ObjectNode o, String key, double value) {
        if (Double.isFinite(value)) {
            o.put(key, value);
        } else {
            o.putNull(key);
        }
    }

    private static void addNumber(ArrayNode a, double value) {
        if (Double.isFinite(value)) {
            a.add(value);
        } else {
            a.addNull();
        }
    }

    /** Turns a parsed results file back into a {@link RunResults}, naming the file and key in every error. */
    private static final class ResultsReader {

        private final String source;

        ResultsReader(String source) {
            this.source = source;
        }

        RunResults read(JsonNode root) {
            if (!root.isObject()) {
                throw new CareException(source + ": expected a JSON object at the top level");
            }
            JsonNode config = required(root, "config", "");
            if (!config.isObject()) {
                throw failure("config", "an object", config);
            }
            String method = text(root, "method", "");
            int[] classOrder = integers(required(root, "class_order", ""), "class_order");
            JsonNode provenance = root.path("provenance");
            RunResults results = new RunResults((ObjectNode) config, method, classOrder,
                    provenance.path("started").asText("unknown"), provenance.path("care4j_version").asText("unknown"));

            JsonNode tasks = required(root, "tasks", "");
            if (!tasks.isArray()) {
                throw failure("tasks", "a list", tasks);
            }
            for (int i = 0; i < tasks.size(); i++) {
                results.addTask(task(tasks.get(i), i, classOrder.length));
            }
            results.wallSeconds = optionalNumber(root, "wall_seconds", "");
            results.peakMemoryMb = optionalNumber(root, "peak_memory_mb", "");
            JsonNode parameters = root.get("parameters_added");
            if (parameters != null && !parameters.isNull()) {
                if (!parameters.canConvertToLong()) {
                    throw failure("parameters_added", "an integer", parameters);
                }
                results.parametersAdded = parameters.longValue();
            }
            JsonNode extra = root.get("extra");
            if (extra != null && extra.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = extra.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    results.extra.put(e.getKey(), e.getValue().isNumber() ? e.getValue().doubleValue()
                            : Double.NaN);
                }
            }
            return results;
        }

        private TaskRecord task(JsonNode node, int index, int classCount) {
            String at = "tasks[" + index + "].";
            if (!node.isObject()) {
                throw failure("tasks[" + index + "]", "an object", node);
            }
            JsonNode taskNode = required(node, "task", at);
            if (!taskNode.isInt() || taskNode.intValue() != index) {
                throw failure(at + "task", Integer.toString(index), taskNode);
            }
            int[] positions = integers(required(node, "positions", at), at + "positions");
            for (int p : positions) {
                if (p >= classCount) {
                    throw failure(at + "positions", "positions below the " + classCount + " classes of "
                            + "class_order", node.get("positions"));
                }
            }
            if (positions.length == 0) {
                throw failure(at + "positions", "a non-empty list", node.get("positions"));
            }
            JsonNode evaluated = required(node, "evaluated", at);
            if (!evaluated.isBoolean()) {
                throw failure(at + "evaluated", "true or false", evaluated);
            }
            TaskRecord.Builder record = TaskRecord.builder(index, positions)
                    .trainImagesPerSecond(optionalNumber(node, "train_images_per_s", at))
                    .seconds(optionalNumber(node, "seconds", at))
                    .rssMb(optionalNumber(node, "rss_mb", at));
            JsonNode extra = node.get("extra");
            if (extra != null && extra.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = extra.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    record.extra(e.getKey(), e.getValue().isNumber() ? e.getValue().doubleValue() : Double.NaN);
                }
            }
            if (evaluated.booleanValue()) {
                record.evaluation(evaluation(node, index, at));
            }
            return record.build();
        }

        private TaskEvaluation evaluation(JsonNode node, int task, String at) {
            double accuracy = number(required(node, "accuracy", at), at + "accuracy");
            JsonNode groupsNode = required(node, "group_accuracy", at);
            if (!groupsNode.isArray() || groupsNode.size() != task + 1) {
                throw failure(at + "group_accuracy", "a list of " + (task + 1) + " numbers or nulls", groupsNode);
            }
            double[] groups = new double[task + 1];
            for (int g = 0; g <= task; g++) {
                JsonNode value = groupsNode.get(g);
                if (!value.isNull() && !value.isNumber()) {
                    throw failure(at + "group_accuracy", "a list of " + (task + 1) + " numbers or nulls",
                            groupsNode);
                }
                groups[g] = value.isNull() ? Double.NaN : value.doubleValue();
            }
            int[] counts = new int[task + 1];
            JsonNode countsNode = node.get("group_samples");
            if (countsNode != null && countsNode.isArray() && countsNode.size() == task + 1) {
                counts = integers(countsNode, at + "group_samples");
            }
            JsonNode samplesNode = node.get("samples");
            int samples = samplesNode != null && samplesNode.canConvertToInt() ? samplesNode.intValue()
                    : java.util.Arrays.stream(counts).sum();
            List<BlockRouting> routing = new ArrayList<>();
            JsonNode routingNode = node.get("routing");
            if (routingNode != null && routingNode.isArray()) {
                for (int b = 0; b < routingNode.size(); b++) {
                    JsonNode block = routingNode.get(b);
                    routing.add(new BlockRouting(block.path("block").asInt(b),
                            optionalNumber(block, "r_at_m", at + "routing[" + b + "]."),
                            optionalNumber(block, "e_at_k", at + "routing[" + b + "].")));
                }
            }
            return new TaskEvaluation(task, samples, accuracy, optionalNumber(node, "top5", at), groups, counts,
                    routing, optionalNumber(node, "eval_seconds", at));
        }

        private JsonNode required(JsonNode parent, String key, String at) {
            JsonNode node = parent.get(key);
            if (node == null) {
                throw new CareException(source + ": key \"" + at + key + "\" is missing");
            }
            return node;
        }

        private String text(JsonNode parent, String key, String at) {
            JsonNode node = required(parent, key, at);
            if (!node.isTextual()) {
                throw failure(at + key, "a string", node);
            }
            return node.textValue();
        }

        private double number(JsonNode node, String key) {
            if (!node.isNumber()) {
                throw failure(key, "a number", node);
            }
            return node.doubleValue();
        }

        private double optionalNumber(JsonNode parent, String key, String at) {
            JsonNode node = parent.get(key);
            if (node == null || node.isNull()) {
                return Double.NaN;
            }
            return number(node, at + key);
        }

        private int[] integers(JsonNode node, String key) {
            if (!node.isArray()) {
                throw failure(key, "a list of non-negative integers", node);
            }
            int[] values = new int[node.size()];
            for (int i = 0; i < values.length; i++) {
                JsonNode element = node.get(i);
                if (!element.canConvertToInt() || !element.isIntegralNumber() || element.intValue() < 0) {
                    throw failure(key, "a list of non-negative integers", node);
                }
                values[i] = element.intValue();
            }
            return values;
        }

        private CareException failure(String key, String expected, JsonNode got) {
            String shown = got.toString();
            if (shown.length() > 60) {
                shown = shown.substring(0, 57) + "...";
            }
            return new CareException(source + ": key \"" + key + "\": expected " + expected + ", got " + shown);
        }
    }
}
