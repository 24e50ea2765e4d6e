package org.care4j.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.care4j.config.RunConfig;
import org.care4j.runtime.CareException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The Java API on a tiny random backbone: a model learned, saved and loaded predicts exactly as before; its
 * manifest records what made it; a save stopped at any step leaves the old or the new complete model.
 */
class CareModelTest {

    @TempDir static Path shared;

    private static Path backbone;
    private static RunConfig config;
    private static Path pets;
    private static Path birds;
    private static List<Path> probes;

    private static int torchThreads;

    @AfterAll
    static void restoreThreads() {
        ProductFixtures.restoreTorchThreads(torchThreads);
    }

    @BeforeAll
    static void fixtures() throws Exception {
        torchThreads = ProductFixtures.oneTorchThread();
        backbone = ProductFixtures.tinyBackbone(shared.resolve("tiny.safetensors"), 1);
        config = CareModel.configFrom(ProductFixtures.tinyConfig(shared.resolve("tiny.json")));
        pets = ProductFixtures.colourFolder(shared.resolve("pets"), 4, 1, "red", "green");
        birds = ProductFixtures.colourFolder(shared.resolve("birds"), 4, 2, "blue", "yellow");
        Path test = ProductFixtures.colourFolder(shared.resolve("probe"), 1, 3, "red", "green", "blue", "yellow");
        try (Stream<Path> files = Files.walk(test)) {
            probes = files.filter(Files::isRegularFile).sorted().toList();
        }
        models();
    }

    /** The pets model, saved once, and its predictions on the probes. */
    private static Path petsModel;
    private static List<List<ClassScore>> petsPredictions;

    /** The pets model after also learning birds, saved once, and its predictions. */
    private static Path petsAndBirdsModel;
    private static List<List<ClassScore>> petsAndBirdsPredictions;
    private static ModelManifest.Task petsTask;
    private static ModelManifest.Task birdsTask;

    private static void models() {
        petsModel = shared.resolve("pets-model");
        petsAndBirdsModel = shared.resolve("pets-birds-model");
        try (CareModel model = CareModel.create(backbone, config)) {
            petsTask = model.learnTask(pets);
            model.save(petsModel);
            petsPredictions = model.predict(probes, 4);
            birdsTask = model.learnTask(NewTask.fromFolder(birds).withName("birds task").withEpochs(2)
                    .withTestFolder(shared.resolve("probe")));
            model.save(petsAndBirdsModel);
            petsAndBirdsPredictions = model.predict(probes, 4);
        }
    }

    @Test
    void aSavedModelLoadsAndPredictsExactlyAsBeforeAndItsManifestSaysHowItWasMade() throws Exception {
        assertEquals(List.of("green", "red"), petsTask.classes());
        assertEquals(8, petsTask.trainImages());
        assertEquals(1, petsTask.epochs());
        assertEquals("birds task", birdsTask.name());
        assertEquals(2, birdsTask.epochs());
        assertEquals(4, birdsTask.test().images());
        assertEquals(4, petsAndBirdsPredictions.size());
        for (List<ClassScore> scores : petsAndBirdsPredictions) {
            assertEquals(4, scores.size());
            double sum = scores.stream().mapToDouble(ClassScore::score).sum();
            assertEquals(1.0, sum, 1e-5, "the scores of all classes are probabilities");
            for (int k = 1; k < 4; k++) {
                assertTrue(scores.get(k - 1).score() >= scores.get(k).score(), "best first");
            }
        }

        Path folder = petsAndBirdsModel;
        try (CareModel loaded = CareModel.load(folder)) {
            assertEquals(petsAndBirdsPredictions, loaded.predict(probes, 4));
            assertEquals(List.of("green", "red", "blue", "yellow"), loaded.classes());
            assertEquals(List.of(petsTask, birdsTask), loaded.tasks());
        }

        JsonNode manifest = new ObjectMapper().readTree(folder.resolve("manifest.json").toFile());
        assertEquals("care4j-model", manifest.get("format").asText());
        assertEquals(1, manifest.get("format_version").asInt());
        assertEquals(sha256(backbone), manifest.at("/backbone/sha256").asText());
        assertEquals(backbone.toString(), manifest.at("/backbone/path").asText());
        assertEquals(64, manifest.at("/backbone/width").asInt());
        assertEquals(2, manifest.at("/backbone/depth").asInt());
        assertEquals(sha256(folder.resolve("model.safetensors")), manifest.at("/weights/sha256").asText());
        assertEquals("[\"green\",\"red\",\"blue\",\"yellow\"]", manifest.get("classes").toString());
        assertEquals("birds task", manifest.at("/tasks/1/name").asText());
        assertEquals(pets.toString(), manifest.at("/tasks/0/source").asText());
        assertEquals(shared.resolve("probe").toString(), manifest.at("/tasks/1/test/source").asText());
        assertEquals(16, manifest.at("/config/image_size").asInt());
        assertEquals(1993, manifest.get("seed").asInt());
        assertEquals("covariance", manifest.at("/statistics/kind").asText());
        assertFalse(manifest.get("created").asText().isEmpty());
    }

    @ParameterizedTest(name = "stopped after \"{0}\": the {1} model")
    @CsvSource({"written, old", "old-moved-away, old", "new-in-place, new"})
    void aSaveStoppedAtAnyStepLeavesTheOldOrTheNewCompleteModel(String step, String survivor, @TempDir Path dir)
            throws Exception {
        Path folder = ProductFixtures.copy(petsModel, dir.resolve("model"));
        try (CareModel updated = CareModel.load(petsAndBirdsModel)) {
            ModelDirectory.afterStep = s -> {
                if (s.equals(step)) {
                    throw new SimulatedCrash();
                }
            };
            try {
                assertThrows(SimulatedCrash.class, () -> updated.save(folder));
            } finally {
                ModelDirectory.afterStep = s -> { };
            }
        }
        try (CareModel back = CareModel.load(folder)) {
            assertEquals(survivor.equals("old") ? petsPredictions : petsAndBirdsPredictions,
                    back.predict(probes, 4));
            assertEquals(survivor.equals("old") ? 2 : 4, back.classes().size());
            // The next save clears what the interrupted one left beside the folder.
            back.save(folder);
        }
        assertEquals(List.of("model"), siblings(dir));
    }

    @Test
    void aFirstSaveStoppedBeforeItsRenameLeavesNoModelAndNoClaimOfOne(@TempDir Path dir) throws Exception {
        Path folder = dir.resolve("model");
        try (CareModel model = CareModel.create(backbone, config)) {
            model.learnTask(pets);
            ModelDirectory.afterStep = s -> {
                if (s.equals("written")) {
                    throw new SimulatedCrash();
                }
            };
            try {
                assertThrows(SimulatedCrash.class, () -> model.save(folder));
            } finally {
                ModelDirectory.afterStep = s -> { };
            }
        }
        assertFalse(CareModel.exists(folder));
        CareException e = assertThrows(CareException.class, () -> CareModel.load(folder));
        assertEquals(folder + ": no such model folder", e.getMessage());
    }

    @Test
    void aFolderWithOtherContentIsNeverReplaced(@TempDir Path dir) throws Exception {
        Path folder = Files.createDirectories(dir.resolve("photos"));
        Files.writeString(folder.resolve("keep.txt"), "mine");
        try (CareModel model = CareModel.create(backbone, config)) {
            CareException e = assertThrows(CareException.class, () -> model.save(folder));
            assertEquals(folder + ": exists and is not a care4j model folder (no manifest.json); save into a new or"
                    + " empty folder", e.getMessage());
        }
        assertEquals("mine", Files.readString(folder.resolve("keep.txt")));
        assertEquals(List.of("photos"), siblings(dir));
    }

    @Test
    void knownClassesAreRefusedByNameBeforeAnythingChanges(@TempDir Path dir) throws Exception {
        Path folder = ProductFixtures.copy(petsModel, dir.resolve("model"));
        Path again = ProductFixtures.colourFolder(dir.resolve("more"), 2, 9, "red", "cyan");
        try (CareModel model = CareModel.load(folder)) {
            CareException e = assertThrows(CareException.class, () -> model.learnTask(again));
            assertEquals("class \"red\" (task 1 \"pets\") is already known to the model; a task brings new classes"
                    + " only", e.getMessage());
            CareException test = assertThrows(CareException.class, () -> model.learnTask(
                    NewTask.of("x", Map.of("cyan", files(again.resolve("cyan")))).withTest(
                            Map.of("violet", files(again.resolve("cyan"))))));
            assertEquals("test class \"violet\" neither known to the model nor learned in this task",
                    test.getMessage());
            assertEquals(List.of("green", "red"), model.classes());
            assertEquals(1, model.tasks().size());
        }
    }

    private static List<Path> files(Path folder) throws Exception {
        try (Stream<Path> s = Files.list(folder)) {
            return s.sorted().toList();
        }
    }

    private static List<String> siblings(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    /** Stands for the process dying at a step: an Error, which the save does not clean up after. */
    private static final class SimulatedCrash extends Error {
        private static final long serialVersionUID = 1L;
    }
}
