package org.care4j.learn;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.care4j.config.RunConfig;
import org.care4j.eval.RunResults;
import org.care4j.io.MalformedFileException;
import org.care4j.io.SafeTensors;
import org.care4j.runtime.CareException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The complete state of a run after a task, from which {@code care run --resume} continues.
 *
 * <p>Layout: {@code RUN/checkpoints/task-NNNN/}, NNNN = tasks completed (task-0002 after the second task),
 * holding {@code model.safetensors} (the learner's tensors and class statistics, {@link CareLearner#writeTo}),
 * {@code results.json} (the run's {@link RunResults} up to that task) and {@code state.json}: format and
 * version, tasks completed and planned, method, the config, the class order, the SHA-256 of the backbone file,
 * how the random generators are seeded, and the byte count and SHA-256 of both other files.
 *
 * <p>A checkpoint is written into {@code .task-NNNN.partial/}, every file flushed, {@code state.json} last,
 * and the folder then renamed, so a crash leaves either the complete folder or a partial one that is never
 * read. The two newest complete checkpoints are kept; older ones are deleted after each write.
 *
 * <p>No random generator carries state from one task to the next: every draw is seeded from the run seed and
 * its place in the run (task, stage, epoch), so a checkpoint needs no generator state to continue exactly
 * as an uninterrupted run; {@code state.json} records that scheme under {@code random_state}.
 */
public final class RunCheckpoint {

    private static final Logger LOG = LoggerFactory.getLogger(RunCheckpoint.class);

    /** Folder of the checkpoints inside a run folder. */
    public static final String FOLDER = "checkpoints";

    /** The value of {@code format} in every {@code state.json}. */
    public static final String FORMAT = "care4j-checkpoint";

    /** The {@code version} this build writes and the highest it reads. */
    public static final int VERSION = 1;

    static final String MODEL = "model.safetensors";
    static final String RESULTS = RunResults.FILE_NAME;
    static final String STATE = "state.json";

    /** Complete checkpoints kept: the newest and the one before it, to fall back on if the newest breaks. */
    static final int KEEP = 2;

    /**
     * Config keys a resumed run may change: where the inputs are, how many threads work, how far the run goes
     * and how often it evaluates. Every other key changes what is learned or how it is measured.
     */
    static final Set<String> MAY_CHANGE = Set.of("prefix", "backbone", "data_root", "threads", "workers",
            "max_tasks", "eval_every");

    private static final Pattern NAME = Pattern.compile("task-(\\d{4,})");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path folder;
    private final int tasksCompleted;
    private final String method;
    private final ObjectNode config;
    private final int[] classOrder;
    private final String backboneSha256;

    private RunCheckpoint(Path folder, int tasksCompleted, String method, ObjectNode config, int[] classOrder,
            String backboneSha256) {
        this.folder = folder;
        this.tasksCompleted = tasksCompleted;
        this.method = method;
        this.config = config;
        this.classOrder = classOrder;
        this.backboneSha256 = backboneSha256;
    }

    /** The checkpoint's folder. */
    public Path folder() {
        return folder;
    }

    /** Tasks learned when the checkpoint was written; the run continues with task index {@code tasksCompleted}. */
    public int tasksCompleted() {
        return tasksCompleted;
    }

    /** The learning method ({@code care}, ...). */
    public String method() {
        return method;
    }

    /** The model file. */
    public Path model() {
        return folder.resolve(MODEL);
    }

    /** Original class index of each position, as the run started with. */
    public int[] classOrder() {
        return classOrder.clone();
    }

    /** SHA-256 (hex) of the backbone file the run started with. */
    public String backboneSha256() {
        return backboneSha256;
    }

    /** The run's config as written. */
    public RunConfig config() {
        return RunConfig.fromJson(config.deepCopy(), folder.resolve(STATE) + " (config)", Path.of(""));
    }

    /** The results of the tasks completed. */
    public RunResults results() {
        return RunResults.read(folder.resolve(RESULTS));
    }

    /**
     * Refuses a config that would continue the run with different settings.
     *
     * @throws CareException naming every key that differs, except those of {@link #MAY_CHANGE}
     */
    public void checkCompatible(RunConfig other) {
        ObjectNode now = other.toJson();
        Set<String> keys = new TreeSet<>();
        config.fieldNames().forEachRemaining(keys::add);
        now.fieldNames().forEachRemaining(keys::add);
        List<String> differences = new ArrayList<>();
        for (String key : keys) {
            JsonNode was = config.path(key);
            JsonNode is = now.path(key);
            if (!MAY_CHANGE.contains(key) && !was.equals(is)) {
                differences.add("\"" + key + "\" (" + shown(was) + " in the checkpoint, " + shown(is) + " now)");
            }
        }
        if (!differences.isEmpty()) {
            throw new CareException(folder + ": the run cannot continue with a different config; it differs in "
                    + String.join(", ", differences) + ". Only " + new TreeSet<>(MAY_CHANGE)
                    + " may change on --resume");
        }
    }

    /**
     * Writes the checkpoint after {@code tasksCompleted} tasks and deletes all but the newest {@link #KEEP}.
     *
     * @param backboneSha256 SHA-256 of the backbone file (see {@link #sha256})
     * @return the new checkpoint's folder
     */
    public static Path write(Path runFolder, int tasksCompleted, int tasksPlanned, Learner learner,
            RunConfig config, int[] classOrder, String backboneSha256, RunResults results) {
        Path root = runFolder.resolve(FOLDER);
        String name = folderName(tasksCompleted);
        Path partial = root.resolve("." + name + ".partial");
        Path target = root.resolve(name);
        try {
            Files.createDirectories(root);
            deleteTree(partial);
            Files.createDirectories(partial);
            Map<String, String> metadata = new LinkedHashMap<>();
            metadata.put("format", "pt");
            metadata.put("method", learner.method());
            metadata.put("tasks_completed", Integer.toString(tasksCompleted));
            if (learner instanceof CareLearner care) {
                care.write(partial.resolve(MODEL), metadata);
            } else {
                org.care4j.io.SafeTensorsWriter model = new org.care4j.io.SafeTensorsWriter();
                metadata.forEach(model::metadata);
                try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
                    learner.state().forEach(model::addLater);
                    model.write(partial.resolve(MODEL));
                }
            }
            results.write(partial.resolve(RESULTS));

            ObjectNode state = JSON.createObjectNode();
            state.put("format", FORMAT);
            state.put("version", VERSION);
            state.put("tasks_completed", tasksCompleted);
            state.put("tasks_planned", tasksPlanned);
            state.put("method", learner.method());
            state.put("written", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
            state.put("backbone_sha256", backboneSha256);
            ObjectNode random = state.putObject("random_state");
            random.put("scheme", "derived");
            random.put("seed", config.seeds().get(0));
            random.put("description", "every generator is seeded from the run seed and its place in the run: "
                    + "task initialisers from (seed, task), training epochs and data order from (seed, task, "
                    + "stage, epoch), alignment from (seed, task); none carries state across tasks");
            ObjectNode files = state.putObject("files");
            for (String file : List.of(MODEL, RESULTS)) {
                ObjectNode entry = files.putObject(file);
                entry.put("bytes", Files.size(partial.resolve(file)));
                entry.put("sha256", sha256(partial.resolve(file)));
            }
            state.set("config", config.toJson());
            ArrayNode order = state.putArray("class_order");
            for (int c : classOrder) {
                order.add(c);
            }
            writeDurably(partial.resolve(STATE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
            syncFolder(partial);

            if (Files.exists(target)) {
                // Only after a fallback: the checkpoint that was refused is replaced by the one just learned.
                Path refused = root.resolve("." + name + ".replaced");
                deleteTree(refused);
                Files.move(target, refused);
                deleteTree(refused);
            }
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, target);
            }
            syncFolder(root);
            prune(root, tasksCompleted);
            return target;
        } catch (IOException e) {
            throw new CareException(target + ": cannot write the checkpoint: " + e.getMessage(), e);
        }
    }

    /** Whether the run folder holds any checkpoint folder, complete or not. */
    public static boolean exists(Path runFolder) {
        return !completeFolders(runFolder.resolve(FOLDER)).isEmpty();
    }

    /**
     * The newest checkpoint of a run that passes {@link #open}; each newer one that fails is logged with the
     * reason, and the next older one is tried.
     *
     * @throws CareException when no checkpoint passes, listing why each was refused
     */
    public static RunCheckpoint latest(Path runFolder) {
        Path root = runFolder.resolve(FOLDER);
        if (!Files.isDirectory(runFolder)) {
            throw new CareException(runFolder + ": no such run folder");
        }
        List<Path> folders = completeFolders(root);
        if (folders.isEmpty()) {
            throw new CareException(runFolder + ": no checkpoint to resume from (no " + FOLDER
                    + "/task-NNNN folder; a run writes its first one after its first task)");
        }
        List<String> refused = new ArrayList<>();
        for (int i = folders.size() - 1; i >= 0; i--) {
            try {
                RunCheckpoint checkpoint = open(folders.get(i));
                if (!refused.isEmpty()) {
                    LOG.warn("falling back to {} ({} tasks done): the newer checkpoint{} could not be used",
                            checkpoint.folder, checkpoint.tasksCompleted, refused.size() > 1 ? "s" : "");
                }
                return checkpoint;
            } catch (CareException e) {
                LOG.warn("refusing checkpoint {}", e.getMessage());
                refused.add(e.getMessage());
            }
        }
        throw new CareException(runFolder + ": no usable checkpoint; " + String.join("; ", refused));
    }

    /**
     * Reads one checkpoint folder and verifies it: {@code state.json} parses and has the expected format,
     * version and task count, both files have the recorded size and SHA-256, the model file's header is valid
     * safetensors, and the results hold one record per task completed.
     *
     * @throws CareException naming the folder and what is wrong
     */
    public static RunCheckpoint open(Path folder) {
        Matcher m = NAME.matcher(folder.getFileName().toString());
        if (!m.matches()) {
            throw new CareException(folder + ": not a checkpoint folder (expected task-NNNN)");
        }
        int fromName = Integer.parseInt(m.group(1));
        Path stateFile = folder.resolve(STATE);
        JsonNode state;
        try {
            state = JSON.readTree(stateFile.toFile());
        } catch (JsonProcessingException e) {
            throw new CareException(folder + ": " + STATE + " is not valid JSON (" + e.getOriginalMessage()
                    + "); the checkpoint is corrupted");
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new CareException(folder + ": no " + STATE + "; the checkpoint is incomplete");
        } catch (IOException e) {
            throw new CareException(folder + ": cannot read " + STATE + ": " + e.getMessage(), e);
        }
        if (state == null || !state.isObject() || !FORMAT.equals(state.path("format").asText())) {
            throw new CareException(folder + ": " + STATE + " is not a care4j checkpoint (no \"format\": \""
                    + FORMAT + "\")");
        }
        int version = state.path("version").asInt(-1);
        if (version < 1 || version > VERSION) {
            throw new CareException(folder + ": checkpoint format version " + state.path("version")
                    + " cannot be read by this care4j, which reads versions 1 to " + VERSION);
        }
        int tasks = state.path("tasks_completed").asInt(-1);
        if (tasks != fromName) {
            throw new CareException(folder + ": " + STATE + " says " + state.path("tasks_completed")
                    + " tasks completed, the folder name " + fromName);
        }
        JsonNode files = state.path("files");
        for (String file : List.of(MODEL, RESULTS)) {
            verify(folder, file, files.path(file));
        }
        try (SafeTensors model = SafeTensors.open(folder.resolve(MODEL))) {
            model.names();
        } catch (MalformedFileException e) {
            throw new CareException(folder + ": " + MODEL + " is not valid safetensors: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new CareException(folder + ": cannot read " + MODEL + ": " + e.getMessage(), e);
        }
        JsonNode config = state.path("config");
        if (!config.isObject()) {
            throw new CareException(folder + ": " + STATE + " has no \"config\" object");
        }
        JsonNode orderNode = state.path("class_order");
        int[] order = new int[orderNode.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = orderNode.get(i).asInt(-1);
        }
        RunCheckpoint checkpoint = new RunCheckpoint(folder, tasks, state.path("method").asText(""),
                (ObjectNode) config, order, state.path("backbone_sha256").asText(""));
        int recorded = checkpoint.results().tasks().size();
        if (recorded != tasks) {
            throw new CareException(folder + ": " + RESULTS + " records " + recorded + " tasks, the checkpoint "
                    + tasks);
        }
        return checkpoint;
    }

    private static void verify(Path folder, String file, JsonNode entry) {
        if (!entry.isObject() || !entry.path("bytes").canConvertToLong() || !entry.path("sha256").isTextual()) {
            throw new CareException(folder + ": " + STATE + " lacks the size and checksum of " + file);
        }
        Path path = folder.resolve(file);
        if (!Files.isRegularFile(path)) {
            throw new CareException(folder + ": " + file + " is missing");
        }
        long expected = entry.path("bytes").longValue();
        long size;
        try {
            size = Files.size(path);
        } catch (IOException e) {
            throw new CareException(folder + ": cannot read " + file + ": " + e.getMessage(), e);
        }
        if (size != expected) {
            throw new CareException(folder + ": " + file + " has " + size + " bytes, " + STATE + " records "
                    + expected + (size < expected ? " (truncated)" : ""));
        }
        String sum = sha256(path);
        if (!sum.equals(entry.path("sha256").asText())) {
            throw new CareException(folder + ": " + file + " does not match its SHA-256 in " + STATE
                    + " (corrupted): " + sum + " instead of " + entry.path("sha256").asText());
        }
    }

    /** SHA-256 of a file's bytes, lower-case hex. */
    public static String sha256(Path file) {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read for its checksum", e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static String folderName(int tasksCompleted) {
        return String.format("task-%04d", tasksCompleted);
    }

    /** Complete checkpoint folders ({@code task-NNNN}), oldest first. */
    private static List<Path> completeFolders(Path root) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(root)) {
            return entries.filter(p -> Files.isDirectory(p) && NAME.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparingInt(RunCheckpoint::number)).toList();
        } catch (IOException e) {
            throw new CareException(root + ": cannot list checkpoints: " + e.getMessage(), e);
        }
    }

    private static int number(Path folder) {
        Matcher m = NAME.matcher(folder.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    /**
     * Deletes the checkpoints older than the newest {@link #KEEP} up to {@code current}. Folders above it
     * (only possible after a fallback, and then refused ones) are left for the run to replace.
     */
    private static void prune(Path root, int current) throws IOException {
        List<Path> older = new ArrayList<>();
        for (Path p : completeFolders(root)) {
            if (number(p) <= current) {
                older.add(p);
            }
        }
        for (int i = 0; i < older.size() - KEEP; i++) {
            deleteTree(older.get(i));
        }
    }

    private static void deleteTree(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            Iterator<Path> it = walk.sorted(Comparator.reverseOrder()).iterator();
            while (it.hasNext()) {
                Files.delete(it.next());
            }
        }
    }

    private static void writeDurably(Path file, byte[] bytes) throws IOException {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
            out.force(true);
        }
    }

    /** Makes renames inside a folder durable; skipped where a folder cannot be opened. */
    private static void syncFolder(Path folder) {
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            // The files themselves are on disk; only the entry's durability is best-effort here.
        }
    }

    private static String shown(JsonNode node) {
        String s = node.isMissingNode() ? "absent" : node.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    @Override
    public String toString() {
        return "RunCheckpoint[" + folder + ", " + tasksCompleted + " tasks]";
    }
}
