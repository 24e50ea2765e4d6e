package org.care4j.cli;

import static org.care4j.api.ProductFixtures.care;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Pattern;
import org.care4j.api.CareModel;
import org.care4j.api.ProductFixtures;
import org.care4j.api.ProductFixtures.Outcome;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every user mistake the model commands can meet ends in exit code 2 and one line on standard error that names
 * the file, the field or the class, the value, and what was expected, never a stack trace (unless
 * {@code --verbose}); a command that fails leaves a saved model byte for byte as it was.
 */
class MalformedInputsTest {

    @TempDir static Path shared;

    private static Path backbone;
    private static Path otherBackbone;
    private static Path config;
    private static Path pets;
    private static Path model;
    private static Path photo;
    private static int torchThreads;

    @TempDir Path dir;

    @BeforeAll
    static void fixtures() throws Exception {
        torchThreads = ProductFixtures.oneTorchThread();
        backbone = ProductFixtures.tinyBackbone(shared.resolve("vit-a.safetensors"), 1);
        otherBackbone = ProductFixtures.tinyBackbone(shared.resolve("vit-b.safetensors"), 2);
        config = ProductFixtures.tinyConfig(shared.resolve("tiny.json"));
        pets = ProductFixtures.colourFolder(shared.resolve("pets"), 2, 1, "red", "green");
        model = shared.resolve("model");
        try (CareModel m = CareModel.create(backbone, CareModel.configFrom(config))) {
            m.learnTask(pets);
            m.save(model);
        }
        photo = pets.resolve("red/red-0.png");
    }

    @AfterAll
    static void restoreThreads() {
        ProductFixtures.restoreTorchThreads(torchThreads);
    }

    /** Exit code 2, exactly one line {@code care: <message>}, and no stack trace. */
    private static void assertRefused(Outcome o, String message) {
        assertEquals(2, o.code(), o.err());
        assertEquals("care: " + message, o.errorLine());
        assertFalse(o.err().contains("\tat "), o.err());
        assertEquals("", o.out());
    }

    private static void assertRefusedMatching(Outcome o, String regex) {
        assertEquals(2, o.code(), o.err());
        assertTrue(Pattern.matches("care: " + regex, o.errorLine()), o.errorLine());
        assertFalse(o.err().contains("\tat "), o.err());
    }

    private Path modelCopy() throws Exception {
        return ProductFixtures.copy(model, dir.resolve("model"));
    }

    private static void assertUnchanged(Path copy) throws Exception {
        Map<String, byte[]> original = ProductFixtures.snapshot(model);
        Map<String, byte[]> now = ProductFixtures.snapshot(copy);
        assertEquals(original.keySet(), now.keySet());
        original.forEach((file, bytes) -> assertArrayEquals(bytes, now.get(file), file + " changed"));
    }

    private Outcome learn(Path modelDir, Path train, String... more) {
        String[] base = {"learn", "--model", modelDir.toString(), "--train", train.toString()};
        String[] args = Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, args, base.length, more.length);
        return care(args);
    }

    @Test
    void aConfigWithAWrongTypeNamesTheFileTheKeyAndTheValue() throws Exception {
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"image_size\": 16, \"tuned_epoch\": \"ten\"}");
        Path target = dir.resolve("new-model");
        assertRefused(learn(target, pets, "--backbone", backbone.toString(), "--config", bad.toString()),
                bad + ": key \"tuned_epoch\": expected a non-negative integer, got \"ten\"");
        assertFalse(Files.exists(target), "nothing is created when the input is wrong");

        Path broken = Files.writeString(dir.resolve("broken.json"), "{\"image_size\": 16,");
        assertRefusedMatching(learn(target, pets, "--backbone", backbone.toString(), "--config", broken.toString()),
                Pattern.quote(broken + ": not valid JSON: ") + ".*");
        assertRefused(learn(target, pets, "--backbone", backbone.toString(), "--set", "image_size=-3"),
                "--set: key \"image_size\": expected a positive integer, got -3");
        assertRefused(learn(target, pets, "--backbone", backbone.toString(), "--set", "no_such_key=1"),
                "--set: not a config key: no_such_key");
        assertRefused(learn(target, pets, "--backbone", backbone.toString(), "--set", "image_size=30"),
                "--set: key \"image_size\": expected a multiple of the backbone's patch size 8, got 30");
        assertFalse(Files.exists(target), "nothing is created when the input is wrong");
    }

    @Test
    void aMissingImageIsNamed() {
        Path missing = dir.resolve("holiday/beach.jpg");
        assertRefused(care("predict", "--model", model.toString(), photo.toString(), missing.toString()),
                missing + ": no such image file");
    }

    @Test
    void nonImageFilesAreNamed() throws Exception {
        Path train = ProductFixtures.copy(pets, dir.resolve("train"));
        Path notes = Files.writeString(train.resolve("red/notes.txt"), "shot on a sunny day");
        Path copy = modelCopy();
        assertRefused(learn(copy, train), notes + ": not an image file (expected .jpg, .jpeg, .png or .bmp)");
        Files.delete(notes);

        Path fake = Files.writeString(dir.resolve("fake.png"), "this is text, not a picture");
        assertRefused(care("predict", "--model", copy.toString(), fake.toString()),
                fake + ": not a JPEG, PNG or BMP file (unknown signature)");
        Path cyan = ProductFixtures.colourFolder(dir.resolve("more"), 2, 7, "cyan");
        Files.copy(fake, cyan.resolve("cyan/cyan-9.png"));
        assertRefused(learn(copy, cyan), cyan.resolve("cyan/cyan-9.png")
                + ": not a JPEG, PNG or BMP file (unknown signature)");
        assertUnchanged(copy);
    }

    @Test
    void truncatedSafetensorsAreRefused() throws Exception {
        Path copy = modelCopy();
        Path weights = copy.resolve("model.safetensors");
        long size = Files.size(weights);
        byte[] half = Arrays.copyOf(Files.readAllBytes(weights), (int) (size / 2));
        Files.write(weights, half);
        assertRefused(care("predict", "--model", copy.toString(), photo.toString()),
                weights + ": " + size / 2 + " bytes, but the manifest records " + size + " (truncated?)");
        assertRefused(care("inspect", "--model", copy.toString()),
                weights + ": " + size / 2 + " bytes, but the manifest records " + size + " (truncated?)");

        Path cut = dir.resolve("cut.safetensors");
        byte[] whole = Files.readAllBytes(backbone);
        Files.write(cut, Arrays.copyOf(whole, whole.length / 3));
        assertRefusedMatching(learn(dir.resolve("new"), pets, "--backbone", cut.toString(), "--config",
                config.toString()), Pattern.quote(cut + ": tensor '") + "[a-z0-9_.]+' data_offsets \\[\\d+, \\d+\\)"
                        + Pattern.quote(" exceed data section of " + (whole.length / 3 - headerEnd(whole))
                                + " bytes (the backbone)"));
    }

    /** Where a safetensors file's data section starts: after the 8-byte length and the header. */
    private static int headerEnd(byte[] file) {
        return 8 + (int) java.nio.ByteBuffer.wrap(file, 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Test
    void weightsWhoseChecksumDoesNotMatchTheManifestAreRefused() throws Exception {
        Path copy = modelCopy();
        Path weights = copy.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 5] ^= 0x40;
        Files.write(weights, bytes);
        assertRefusedMatching(care("predict", "--model", copy.toString(), photo.toString()),
                Pattern.quote(weights + ": sha256 ") + "[0-9a-f]{64} does not match the manifest's [0-9a-f]{64}"
                        + Pattern.quote(" (the file was changed or damaged)"));
        assertRefusedMatching(learn(copy, ProductFixtures.colourFolder(dir.resolve("more"), 2, 3, "cyan")),
                Pattern.quote(weights + ": sha256 ") + ".*does not match.*");
    }

    @Test
    void aModelFromADifferentBackboneIsRefusedNamingBoth() throws Exception {
        Path copy = modelCopy();
        assertRefusedMatching(care("predict", "--model", copy.toString(), "--backbone", otherBackbone.toString(),
                photo.toString()), Pattern.quote(copy.resolve("manifest.json") + ": this model was trained on the"
                        + " backbone " + backbone + " (sha256 ") + "[0-9a-f]{12}"
                        + Pattern.quote(", depth 2, width 64, 1 heads, patch 8), but " + otherBackbone
                                + " is a different file (sha256 ") + "[0-9a-f]{12}"
                        + Pattern.quote("); give the backbone the model was trained on (--backbone)"));

        // The same refusal when the recorded file itself was replaced by another backbone.
        String manifest = Files.readString(copy.resolve("manifest.json"));
        Files.writeString(copy.resolve("manifest.json"), manifest.replace(backbone.toString(),
                otherBackbone.toString()));
        assertRefusedMatching(learn(copy, ProductFixtures.colourFolder(dir.resolve("more"), 2, 3, "cyan")),
                ".*this model was trained on the backbone " + Pattern.quote(otherBackbone.toString())
                        + ".* is a different file.*");
    }

    @Test
    void anImageOfOneByOnePixelIsRefusedWithTheMinimum() throws Exception {
        Path dot = ProductFixtures.png(dir.resolve("dot.png"), 1, 1);
        assertRefused(care("predict", "--model", model.toString(), dot.toString()),
                dot + ": image of 1x1 pixels is too small; the minimum is 16x16");

        Path train = ProductFixtures.colourFolder(dir.resolve("train"), 2, 5, "cyan");
        Path small = ProductFixtures.png(train.resolve("cyan/tiny.png"), 1, 1);
        Path copy = modelCopy();
        assertRefused(learn(copy, train), small + ": image of 1x1 pixels is too small; the minimum is 16x16");
        assertUnchanged(copy);
    }

    @Test
    void aPngHeaderOf20000By20000PixelsIsRefusedBeforeDecoding() throws Exception {
        Path huge = ProductFixtures.pngHeader(dir.resolve("huge.png"), 20000, 20000);
        String message = huge + ": image of 20000x20000 pixels (400 megapixels) exceeds the limit of 100 megapixels";
        assertRefused(care("predict", "--model", model.toString(), huge.toString()), message);

        Path train = ProductFixtures.colourFolder(dir.resolve("train"), 2, 5, "cyan");
        Path inTask = Files.copy(huge, train.resolve("cyan/huge.png"));
        Path copy = modelCopy();
        assertRefused(learn(copy, train), inTask + ": image of 20000x20000 pixels (400 megapixels) exceeds the"
                + " limit of 100 megapixels");
        assertUnchanged(copy);
    }

    @Test
    void aNewerFormatVersionAndABrokenManifestAreRefused() throws Exception {
        Path copy = modelCopy();
        Path manifest = copy.resolve("manifest.json");
        String text = Files.readString(manifest);
        Files.writeString(manifest, text.replace("\"format_version\" : 1", "\"format_version\" : 2"));
        assertRefused(care("inspect", "--model", copy.toString()), manifest + ": field \"format_version\": model"
                + " format version 2 is newer than this care4j reads (1); use a newer care4j");

        Files.writeString(manifest, text.replace("\"classes\" : [ \"green\", \"red\" ],", "\"classes\" : 3,"));
        assertRefused(care("predict", "--model", copy.toString(), photo.toString()),
                manifest + ": field \"classes\": expected a list, got 3");

        Files.writeString(manifest, text.substring(0, text.length() / 2));
        assertRefusedMatching(care("inspect", "--model", copy.toString()),
                Pattern.quote(manifest + ": not valid JSON: ") + ".*");

        Path notAModel = Files.createDirectories(dir.resolve("photos"));
        Files.writeString(notAModel.resolve("list.txt"), "x");
        assertRefused(care("inspect", "--model", notAModel.toString()),
                notAModel + ": not a care4j model folder (no manifest.json)");
        assertRefused(learn(notAModel, pets, "--backbone", backbone.toString()),
                notAModel + ": exists and is not a care4j model folder (no manifest.json); give a new or empty"
                        + " folder");
    }

    @Test
    void aClassWithOneImageAndOptionsOutOfRangeAreRefused() throws Exception {
        Path train = ProductFixtures.colourFolder(dir.resolve("train"), 1, 5, "cyan");
        Path copy = modelCopy();
        assertRefused(learn(copy, train), "class \"cyan\" (" + train.resolve("cyan") + "): 1 image; each training"
                + " class needs at least 2 (for its feature statistics)");
        assertRefused(learn(copy, dir.resolve("nowhere")),
                dir.resolve("nowhere") + ": no such folder (expected one sub-folder of images per class)");
        assertRefused(learn(copy, pets, "--epochs", "0"), "--epochs: expected a positive number of epochs, got 0");
        assertRefused(learn(copy, ProductFixtures.colourFolder(dir.resolve("more"), 2, 3, "cyan"), "--config",
                config.toString()), "--config: " + copy + " already holds a model, and a model's config is fixed"
                        + " when it is created");
        assertRefused(care("predict", "--model", copy.toString(), "--top", "0", photo.toString()),
                "--top: expected a positive number of classes, got 0");
        assertUnchanged(copy);

        Assumptions.assumeTrue(System.getenv("CARE_BACKBONE") == null, "CARE_BACKBONE is set");
        assertRefused(learn(dir.resolve("fresh"), pets), dir.resolve("fresh") + ": no model there yet; creating one"
                + " needs --backbone FILE (a timm ViT in safetensors) or $CARE_BACKBONE");
    }

    @Test
    void verboseShowsTheStackTraceOfTheSameFailure() {
        Path missing = dir.resolve("gone.png");
        Outcome quiet = care("predict", "--model", model.toString(), missing.toString());
        Outcome verbose = care("--verbose", "predict", "--model", model.toString(), missing.toString());
        assertEquals(2, verbose.code());
        assertFalse(quiet.err().contains("\tat "), quiet.err());
        assertTrue(verbose.err().contains("\tat org.care4j.api."), verbose.err());
        assertTrue(verbose.err().contains("care: " + missing + ": no such image file"), verbose.err());
    }
}
