package org.care4j.cli;

import static org.care4j.api.ProductFixtures.care;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.care4j.api.CareModel;
import org.care4j.api.ClassScore;
import org.care4j.api.ProductFixtures;
import org.care4j.api.ProductFixtures.Outcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's model through the real command line, on the shared ViT-Ti at 32x32 pixels: learn two tasks from
 * folders of colour photos, predict, inspect; then kill a separate {@code care learn} process while it trains a
 * third task, and check that the model on disk is byte for byte what it was and still predicts the same.
 */
class ModelCommandsEndToEndTest {

    /** {@code file: class (score), class (score)} with two classes. */
    private static final Pattern LINE =
            Pattern.compile("(.+): (\\w+) \\((\\d\\.\\d{3})\\), (\\w+) \\((\\d\\.\\d{3})\\)");

    @TempDir Path dir;

    private static int torchThreads;

    @BeforeAll
    static void oneThread() {
        torchThreads = ProductFixtures.oneTorchThread();
    }

    @AfterAll
    static void restoreThreads() {
        ProductFixtures.restoreTorchThreads(torchThreads);
    }

    @Test
    void learnTwoTasksPredictInspectAndSurviveAKilledThirdLearn() throws Exception {
        Path first = ProductFixtures.colourFolder(dir.resolve("photos/first"), 5, 1, "red", "green");
        Path firstTest = ProductFixtures.colourFolder(dir.resolve("photos/first-test"), 2, 2, "red", "green");
        Path second = ProductFixtures.colourFolder(dir.resolve("photos/second"), 5, 3, "blue", "yellow");
        Path secondTest = ProductFixtures.colourFolder(dir.resolve("photos/second-test"), 2, 4, "blue", "yellow");
        Path third = ProductFixtures.colourFolder(dir.resolve("photos/third"), 3, 5, "purple", "cyan");
        Path config = Files.writeString(dir.resolve("small.json"),
                "{\"image_size\": 32, \"tuned_epoch\": 2, \"crct_epochs\": 1, \"batch_size\": 4, \"workers\": 1}");
        Path model = dir.resolve("my-model");

        Outcome learn1 = care("learn", "--model", model.toString(), "--train", first.toString(), "--test",
                firstTest.toString(), "--backbone", ProductFixtures.vitTiny().toString(), "--config",
                config.toString());
        assertEquals(0, learn1.code(), learn1.err());
        assertTrue(learn1.out().startsWith("task 1 \"first\": 2 new classes (green, red), 10 images, 2 epochs, "),
                learn1.out());
        assertTrue(learn1.out().strip().endsWith("-> " + model + " (2 classes in 1 tasks)"), learn1.out());
        assertTrue(learn1.out().contains("; test accuracy "), learn1.out());

        Outcome learn2 = care("learn", "--model", model.toString(), "--train", second.toString(), "--test",
                secondTest.toString(), "--name", "primaries");
        assertEquals(0, learn2.code(), learn2.err());
        assertTrue(learn2.out().startsWith("task 2 \"primaries\": 2 new classes (blue, yellow), 10 images"),
                learn2.out());
        assertTrue(learn2.out().strip().endsWith("(4 classes in 2 tasks)"), learn2.out());

        List<Path> probes = new ArrayList<>();
        for (Path folder : List.of(firstTest, secondTest)) {
            try (Stream<Path> files = Files.walk(folder)) {
                files.filter(Files::isRegularFile).sorted().forEach(probes::add);
            }
        }
        List<String> args = new ArrayList<>(List.of("predict", "--model", model.toString(), "--top", "2"));
        probes.forEach(p -> args.add(p.toString()));
        Outcome predict = care(args.toArray(String[]::new));
        assertEquals(0, predict.code(), predict.err());
        List<String> lines = predict.out().lines().toList();
        assertEquals(probes.size(), lines.size(), predict.out());
        int correct = 0;
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = LINE.matcher(lines.get(i));
            assertTrue(m.matches(), lines.get(i));
            assertEquals(probes.get(i).toString(), m.group(1));
            assertTrue(Double.parseDouble(m.group(3)) >= Double.parseDouble(m.group(5)), "best first");
            correct += probes.get(i).getParent().getFileName().toString().equals(m.group(2)) ? 1 : 0;
        }
        // Saturated colours on a pre-trained backbone: chance would be 2 of 8.
        assertTrue(correct >= 5, correct + " of 8 right:\n" + predict.out());
        assertTrue(predict.errorLine().matches("8 images, \\d+\\.\\d img/s"), predict.err());

        Outcome json = care("predict", "--model", model.toString(), "--json", "--top", "3", probes.get(0).toString());
        assertEquals(0, json.code(), json.err());
        JsonNode doc = new ObjectMapper().readTree(json.out());
        assertEquals(probes.get(0).toString(), doc.at("/images/0/file").asText());
        assertEquals(3, doc.at("/images/0/top").size());
        assertTrue(doc.at("/images/0/top/0/score").asDouble() > 0);
        assertTrue(doc.get("images_per_second").asDouble() > 0);

        Outcome inspect = care("inspect", "--model", model.toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("4 classes in 2 tasks"), inspect.out());
        assertTrue(inspect.out().contains("task 2 \"primaries\": blue, yellow"), inspect.out());
        assertTrue(inspect.out().contains("backbone (frozen)       5,680,552"), inspect.out());
        assertTrue(inspect.out().contains("depth 12, width 192, 3 heads, patch 16"), inspect.out());
        JsonNode inspected = new ObjectMapper().readTree(care("inspect", "--model", model.toString(), "--json").out());
        // Per block and task: expert 2*192 + 192*16 + 16 + 16*192 + 192 + 192 (scale) = 6,928; times 12 blocks and 2.
        assertEquals(12 * 2 * 6928, inspected.at("/parameters/task experts").asLong());
        assertEquals(inspected.at("/parameters/learned").asLong(),
                inspected.get("parameters").properties().stream().filter(e -> !e.getKey().equals("learned")
                        && !e.getKey().equals("backbone (frozen)")).mapToLong(e -> e.getValue().asLong()).sum());

        Map<String, byte[]> before = ProductFixtures.snapshot(model);
        List<List<ClassScore>> predictions;
        try (CareModel m = CareModel.load(model)) {
            predictions = m.predict(probes, 4);
        }

        killDuringLearn(model, third);

        Map<String, byte[]> after = ProductFixtures.snapshot(model);
        assertEquals(before.keySet(), after.keySet());
        for (String file : before.keySet()) {
            assertArrayEquals(before.get(file), after.get(file), file + " changed");
        }
        try (CareModel m = CareModel.load(model)) {
            assertEquals(predictions, m.predict(probes, 4));
        }

        // Teaching a known class again is refused by name, and changes nothing either.
        Outcome again = care("learn", "--model", model.toString(), "--train", second.toString());
        assertEquals(2, again.code());
        assertEquals("care: classes \"blue\", \"yellow\" (task 2 \"primaries\") are already known to the model; a"
                + " task brings new classes only", again.errorLine());
        Map<String, byte[]> unchanged = ProductFixtures.snapshot(model);
        for (String file : before.keySet()) {
            assertArrayEquals(before.get(file), unchanged.get(file), file + " changed");
        }
    }

    /**
     * Starts {@code care learn} in a child JVM with many epochs, waits until it reports its first training epoch,
     * and kills it.
     */
    private static void killDuringLearn(Path model, Path train) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Xmx2g", "-Dai.djl.pytorch.num_threads=1", "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                Care.class.getName(), "learn", "--model", model.toString(), "--train", train.toString(),
                "--epochs", "1000");
        builder.redirectErrorStream(true);
        // OpenMP threads that spin at barriers crawl on a shared, busy CPU; passive waiting does not.
        builder.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        Process child = builder.start();
        BlockingQueue<String> lines = new ArrayBlockingQueue<>(10_000);
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    lines.offer(line);
                }
            } catch (java.io.IOException e) {
                // The stream closes when the child is killed.
            }
        });
        reader.setDaemon(true);
        reader.start();
        StringBuilder seen = new StringBuilder();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
        try {
            while (true) {
                String line = lines.poll(1, TimeUnit.SECONDS);
                if (line != null) {
                    seen.append(line).append('\n');
                    if (line.contains("task 3 stage 1 epoch 1/500")) {
                        break;
                    }
                }
                if (!child.isAlive() && lines.isEmpty()) {
                    fail("care learn ended before it could be killed:\n" + seen);
                }
                if (System.nanoTime() > deadline) {
                    fail("no training epoch reported in time:\n" + seen);
                }
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "the child did not die");
        }
    }
}
