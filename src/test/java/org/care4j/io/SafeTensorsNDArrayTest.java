package org.care4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The few io tests that need the PyTorch engine: loading into and writing from NDArrays. */
class SafeTensorsNDArrayTest {

    @TempDir
    Path dir;

    @Test
    void addLaterReadsTheArrayWhenTheFileIsWrittenNotWhenAdded() throws IOException {
        Path file = dir.resolve("later.safetensors");
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray w = manager.create(new float[] {1f, 2f, 3f}, new Shape(3));
            SafeTensorsWriter writer = new SafeTensorsWriter().add("copied", w).addLater("later", w);
            w.addi(10f);
            writer.write(file);
            assertThrows(IllegalArgumentException.class, () -> writer.addLater("later", w));
        }
        try (SafeTensors back = SafeTensors.open(file)) {
            assertArrayEquals(new float[] {1f, 2f, 3f}, back.floats("copied"));
            assertArrayEquals(new float[] {11f, 12f, 13f}, back.floats("later"));
            assertArrayEquals(new long[] {3}, back.info("later").shape());
        }
    }

    @Test
    void loadsTensorsIntoNDArraysOfTheRequestedTypeAndWritesThemBack() throws IOException {
        Path file = dir.resolve("w.safetensors");
        new SafeTensorsWriter()
                .add("w", new long[] {2, 2}, new float[] {1f, -2f, 3.5f, 4f})
                .addRaw("h", DType.F16, new long[] {2}, SafeTensorsTest.le(2, 0x3C00, 0xC100))
                .add("y", new long[] {3}, new long[] {7, 8, 9})
                .write(file);

        try (NDManager manager = NDManager.newBaseManager(); SafeTensors st = SafeTensors.open(file)) {
            NDArray w = st.toNDArray(manager, "w", DataType.FLOAT32);
            assertEquals(new Shape(2, 2), w.getShape());
            assertEquals(DataType.FLOAT32, w.getDataType());
            assertArrayEquals(new float[] {1f, -2f, 3.5f, 4f}, w.toFloatArray());
            // The array owns its memory, so in-place arithmetic works and leaves the file untouched.
            w.addi(1f);
            assertArrayEquals(new float[] {2f, -1f, 4.5f, 5f}, w.toFloatArray());
            assertArrayEquals(new float[] {1f, -2f, 3.5f, 4f}, st.floats("w"));

            assertArrayEquals(new double[] {1.0, -2.5}, st.toNDArray(manager, "h", DataType.FLOAT64).toDoubleArray());
            assertArrayEquals(new float[] {7f, 8f, 9f}, st.toNDArray(manager, "y", DataType.FLOAT32).toFloatArray());
            NDArray y = st.toNDArray(manager, "y", DataType.INT64);
            assertArrayEquals(new long[] {7, 8, 9}, y.toLongArray());
            assertThrows(IllegalArgumentException.class, () -> st.toNDArray(manager, "w", DataType.INT64));
            assertThrows(IllegalArgumentException.class, () -> st.toNDArray(manager, "w", DataType.INT8));

            Path copy = dir.resolve("copy.safetensors");
            new SafeTensorsWriter().add("w", w).add("y", y)
                    .add("d", manager.create(new double[] {0.25, 0.5}, new Shape(1, 2))).write(copy);
            try (SafeTensors back = SafeTensors.open(copy)) {
                assertEquals(DType.F32, back.info("w").dtype());
                assertArrayEquals(new long[] {2, 2}, back.info("w").shape());
                assertArrayEquals(new float[] {2f, -1f, 4.5f, 5f}, back.floats("w"));
                assertEquals(DType.I64, back.info("y").dtype());
                assertArrayEquals(new long[] {7, 8, 9}, back.longs("y"));
                assertEquals(DType.F64, back.info("d").dtype());
                assertArrayEquals(new long[] {1, 2}, back.info("d").shape());
                assertArrayEquals(new double[] {0.25, 0.5}, back.doubles("d"));
            }
        }
    }
}
