package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.care4j.runtime.CareException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CIFAR-100 in both official layouts, from the shared release and from files written here. */
class Cifar100Test {

    /** The official fine label names (CIFAR-100 {@code meta}), in label order. */
    static final List<String> OFFICIAL_NAMES =
            List.of(
                    "apple",
                    "aquarium_fish",
                    "baby",
                    "bear",
                    "beaver",
                    "bed",
                    "bee",
                    "beetle",
                    "bicycle",
                    "bottle",
                    "bowl",
                    "boy",
                    "bridge",
                    "bus",
                    "butterfly",
                    "camel",
                    "can",
                    "castle",
                    "caterpillar",
                    "cattle",
                    "chair",
                    "chimpanzee",
                    "clock",
                    "cloud",
                    "cockroach",
                    "couch",
                    "crab",
                    "crocodile",
                    "cup",
                    "dinosaur",
                    "dolphin",
                    "elephant",
                    "flatfish",
                    "forest",
                    "fox",
                    "girl",
                    "hamster",
                    "house",
                    "kangaroo",
                    "keyboard",
                    "lamp",
                    "lawn_mower",
                    "leopard",
                    "lion",
                    "lizard",
                    "lobster",
                    "man",
                    "maple_tree",
                    "motorcycle",
                    "mountain",
                    "mouse",
                    "mushroom",
                    "oak_tree",
                    "orange",
                    "orchid",
                    "otter",
                    "palm_tree",
                    "pear",
                    "pickup_truck",
                    "pine_tree",
                    "plain",
                    "plate",
                    "poppy",
                    "porcupine",
                    "possum",
                    "rabbit",
                    "raccoon",
                    "ray",
                    "road",
                    "rocket",
                    "rose",
                    "sea",
                    "seal",
                    "shark",
                    "shrew",
                    "skunk",
                    "skyscraper",
                    "snail",
                    "snake",
                    "spider",
                    "squirrel",
                    "streetcar",
                    "sunflower",
                    "sweet_pepper",
                    "table",
                    "tank",
                    "telephone",
                    "television",
                    "tiger",
                    "tractor",
                    "train",
                    "trout",
                    "tulip",
                    "turtle",
                    "wardrobe",
                    "whale",
                    "willow_tree",
                    "wolf",
                    "woman",
                    "worm");

    private static Cifar100 shared;

    @TempDir Path tmp;

    @BeforeAll
    static void readSharedRelease() {
        shared = Cifar100.read(SharedFiles.path("data/cifar-100-binary.tar.gz"));
    }

    @Test
    void sharedReleaseHas50000TrainAnd10000TestImagesBalancedOverClasses() {
        assertEquals(50_000, shared.train().size());
        assertEquals(10_000, shared.test().size());
        int[] train = new int[100];
        int[] test = new int[100];
        for (int i = 0; i < shared.train().size(); i++) {
            train[shared.train().label(i)]++;
        }
        for (int i = 0; i < shared.test().size(); i++) {
            test[shared.test().label(i)]++;
        }
        int[] fiveHundred = new int[100];
        int[] hundred = new int[100];
        Arrays.fill(fiveHundred, 500);
        Arrays.fill(hundred, 100);
        assertArrayEquals(fiveHundred, train);
        assertArrayEquals(hundred, test);
    }

    @Test
    void labelNamesAreTheOfficialFineNamesInOrder() {
        assertEquals(100, OFFICIAL_NAMES.size());
        assertEquals(OFFICIAL_NAMES, shared.fineLabelNames());
        assertEquals(OFFICIAL_NAMES, shared.train().classNames());
        assertEquals(100, shared.train().numClasses());
    }

    @Test
    void channelMeansMatchThePublishedTrainingSetStatistics() {
        // The widely published CIFAR-100 training means (0.5071, 0.4865, 0.4409) fail if planes are
        // swapped or mis-interleaved.
        long[] sums = new long[3];
        ImageDataset train = shared.train();
        for (int i = 0; i < train.size(); i++) {
            byte[] rgb = train.image(i).rgb();
            for (int p = 0; p < rgb.length; p += 3) {
                sums[0] += rgb[p] & 0xFF;
                sums[1] += rgb[p + 1] & 0xFF;
                sums[2] += rgb[p + 2] & 0xFF;
            }
        }
        double n = 50_000.0 * 1024 * 255;
        assertEquals(0.5071, sums[0] / n, 5e-4);
        assertEquals(0.4865, sums[1] / n, 5e-4);
        assertEquals(0.4409, sums[2] / n, 5e-4);
        RgbImage first = train.image(0);
        assertEquals(32, first.width());
        assertEquals(32, first.height());
        assertTrue(
                train.describe(7).endsWith("cifar-100-binary/train.bin image 7"),
                train.describe(7));
    }

    @Test
    void pythonLayoutFolderAndArchiveGiveTheSameImagesAsTheBinaryLayout() throws IOException {
        int[] train = {3, 99, 0, 3, 42};
        int[] test = {7, 8};
        Cifar100 binary = Cifar100.read(CifarFixtures.writeBinary(tmp, train, test));
        Path pythonDir = CifarFixtures.writePython(tmp, train, test);
        Cifar100 python = Cifar100.read(pythonDir);
        Cifar100 pythonArchive =
                Cifar100.read(CifarFixtures.tarGz(pythonDir, tmp.resolve("p.tar.gz")));
        for (Cifar100 c : List.of(binary, python, pythonArchive)) {
            assertEquals(CifarFixtures.names(), c.fineLabelNames());
            assertEquals(5, c.train().size());
            assertEquals(2, c.test().size());
            for (int i = 0; i < train.length; i++) {
                assertEquals(train[i], c.train().label(i));
                assertImageIsPlanes(CifarFixtures.planes(i), c.train().image(i));
            }
            assertEquals(8, c.test().label(1));
            assertImageIsPlanes(CifarFixtures.planes(6), c.test().image(1));
        }
    }

    @Test
    void truncatedRecordIsReportedWithFileAndRecord() throws IOException {
        Path dir = CifarFixtures.writeBinary(tmp, new int[] {1, 2, 3}, new int[] {4});
        Path trainBin = dir.resolve("train.bin");
        byte[] whole = Files.readAllBytes(trainBin);
        Files.write(trainBin, Arrays.copyOf(whole, whole.length - 100));
        CareException e = assertThrows(CareException.class, () -> Cifar100.read(dir));
        assertTrue(e.getMessage().contains(trainBin.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("truncated record 2"), e.getMessage());
    }

    @Test
    void truncatedArchiveIsReportedWithItsName() throws IOException {
        Path dir = CifarFixtures.writeBinary(tmp, new int[400], new int[10]);
        Path archive = CifarFixtures.tarGz(dir, tmp.resolve("cifar-100-binary.tar.gz"));
        byte[] whole = Files.readAllBytes(archive);
        Files.write(archive, Arrays.copyOf(whole, whole.length / 2));
        CareException e = assertThrows(CareException.class, () -> Cifar100.read(archive));
        assertTrue(e.getMessage().contains(archive.toString()), e.getMessage());
        assertTrue(
                e.getMessage().contains("truncated") || e.getMessage().contains("ends early"),
                e.getMessage());
    }

    @Test
    void labelOutOfRangeAndMissingFilesAreReported() throws IOException {
        Path dir = CifarFixtures.writeBinary(tmp, new int[] {1, 100}, new int[] {4});
        CareException bad = assertThrows(CareException.class, () -> Cifar100.read(dir));
        assertTrue(bad.getMessage().contains("record 1 has fine label 100"), bad.getMessage());
        Files.delete(dir.resolve("test.bin"));
        Files.write(dir.resolve("train.bin"), CifarFixtures.binaryRecords(new int[] {1}, 0));
        CareException missing = assertThrows(CareException.class, () -> Cifar100.read(dir));
        assertTrue(missing.getMessage().contains("incomplete CIFAR-100"), missing.getMessage());
        CareException none =
                assertThrows(CareException.class, () -> Cifar100.read(tmp.resolve("nope")));
        assertTrue(none.getMessage().contains("nope"), none.getMessage());
    }

    private static void assertImageIsPlanes(byte[] planes, RgbImage image) {
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                for (int c = 0; c < 3; c++) {
                    assertEquals(planes[c * 1024 + y * 32 + x] & 0xFF, image.get(x, y, c));
                }
            }
        }
    }
}
