package org.care4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.care4j.io.SafeTensors;

/**
 * A reference file from {@code ../shared/golden} (recorded from the official PyTorch code) and the
 * comparisons its README prescribes.
 */
public final class GoldenFile implements AutoCloseable {

    private final SafeTensors tensors;

    private GoldenFile(SafeTensors tensors) {
        this.tensors = tensors;
    }

    /** The shared folder beside the checkout (system property {@code care.shared}, set by the pom). */
    public static Path shared() {
        return Path.of(System.getProperty("care.shared", "../shared"));
    }

    public static GoldenFile open(String name) {
        try {
            return new GoldenFile(SafeTensors.open(shared().resolve("golden").resolve(name)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public SafeTensors tensors() {
        return tensors;
    }

    public boolean has(String name) {
        return tensors.contains(name);
    }

    public NDArray get(NDManager manager, String name, DataType type) {
        return tensors.toNDArray(manager, name, type);
    }

    public double[] doubles(String name) {
        return tensors.doubles(name);
    }

    public long[] longs(String name) {
        return tensors.longs(name);
    }

    public JsonNode metadata(String key) {
        try {
            return new ObjectMapper().readTree(tensors.metadata().get(key));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int[] ints(String metadataKey) {
        JsonNode n = metadata(metadataKey);
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).asInt();
        }
        return out;
    }

    /** Asserts {@code |actual - expected| <= abs + rel * |expected|} element-wise, shapes equal. */
    public static void assertClose(String what, double[] expected, NDArray actual, double abs, double rel) {
        double[] a = actual.toType(DataType.FLOAT64, false).toDoubleArray();
        assertClose(what, expected, a, abs, rel);
    }

    public static void assertClose(String what, double[] expected, double[] actual, double abs, double rel) {
        assertEquals(expected.length, actual.length, what + ": element count");
        for (int i = 0; i < expected.length; i++) {
            double tol = abs + rel * Math.abs(expected[i]);
            if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
                fail(what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i] + " (tolerance " + tol
                        + ")");
            }
        }
    }

    public void assertShape(String name, NDArray actual) {
        assertArrayEquals(tensors.info(name).shape(), actual.getShape().getShape(), name + ": shape");
    }

    @Override
    public void close() {
        tensors.close();
    }
}
