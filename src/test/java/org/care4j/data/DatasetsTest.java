package org.care4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.care4j.runtime.CareException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening benchmarks by name, as the published configs name them. */
class DatasetsTest {

    @TempDir Path tmp;

    @Test
    void cifar224WithSeed1993IsTheReferenceOrderSplitIntoTenTasks() {
        ContinualBenchmark b =
                Datasets.open("cifar224", SharedFiles.path("data"), 1993, 10, 10, true);
        assertEquals(10, b.tasks());
        // golden/order.json, seed 1993, n 100: first task = classes at positions 0..9
        int[] firstTask = {68, 56, 78, 8, 23, 84, 90, 65, 74, 76};
        assertArrayEquals(firstTask, java.util.Arrays.copyOf(b.order().order(), 10));
        int[] task0 = b.trainIndices(0);
        assertEquals(5000, task0.length);
        Set<Integer> classes = new HashSet<>();
        for (int i : task0) {
            classes.add(b.train().label(i));
            assertTrue(b.position(b.train(), i) < 10);
        }
        assertEquals(Set.of(68, 56, 78, 8, 23, 84, 90, 65, 74, 76), classes);
        assertEquals(2000, b.testIndicesUpTo(1).length);
        assertEquals(30, b.trainIndices(2, 3).length);
        assertEquals(Cifar100Test.OFFICIAL_NAMES.get(68), b.classNamesByPosition().get(0));
    }

    @Test
    void imageFolderBenchmarksAreFoundUnderTheirConventionalFolder() throws IOException {
        Path root = tmp.resolve("data");
        for (String split : new String[] {"train", "test"}) {
            for (String cls : new String[] {"n01", "n02", "n03"}) {
                TestImages.write(
                        root.resolve("imagenet-r").resolve(split).resolve(cls).resolve("a.png"),
                        TestImages.gradient(3, 3, 0),
                        "png");
            }
        }
        ContinualBenchmark b = Datasets.open("imagenetr", root, 1993, 2, 1, false);
        assertEquals(2, b.tasks());
        assertArrayEquals(new int[] {0, 1, 2}, b.order().order());
        assertEquals(3, b.test().size());

        Files.createDirectories(root.resolve("imagenet-r/test/n04"));
        TestImages.write(
                root.resolve("imagenet-r/test/n04/b.png"), TestImages.gradient(3, 3, 0), "png");
        CareException differ =
                assertThrows(
                        CareException.class,
                        () -> Datasets.open("imagenetr", root, 1993, 2, 1, false));
        assertTrue(differ.getMessage().contains("different class folders"), differ.getMessage());
    }

    @Test
    void missingDataUnknownNamesAndBadSplitsAreReported() {
        CareException missing =
                assertThrows(
                        CareException.class,
                        () -> Datasets.open("objectnet", tmp, 1993, 10, 10, true));
        assertTrue(
                missing.getMessage().startsWith(tmp.resolve("objectnet") + ": objectnet not found"),
                missing.getMessage());
        CareException cifar =
                assertThrows(
                        CareException.class, () -> Datasets.open("cifar100", tmp, 1, 10, 10, true));
        assertTrue(cifar.getMessage().contains("cifar-100-binary.tar.gz"), cifar.getMessage());
        CareException unknown =
                assertThrows(CareException.class, () -> Datasets.open("mnist", tmp, 1, 1, 1, true));
        assertTrue(unknown.getMessage().contains("unknown dataset 'mnist'"), unknown.getMessage());
        CareException seed =
                assertThrows(
                        CareException.class,
                        () -> Datasets.open("cifar224", tmp, -1, 10, 10, true));
        assertTrue(seed.getMessage().contains("seed"), seed.getMessage());
    }
}
