package org.care4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Reads the real files the project depends on; expected values come from an independent NumPy read. */
class SafeTensorsSharedFilesTest {

    @Test
    void readsGoldenLossesWithTheirTypesShapesAndValues() throws IOException {
        try (SafeTensors st = SafeTensors.open(SharedFiles.path("golden/losses.safetensors"))) {
            assertEquals(30, st.names().size());
            assertEquals("cos.wf", st.names().get(0));
            assertEquals("20", st.metadata().get("s"));
            assertEquals("losses (scenario 5)", st.metadata().get("scenario"));

            assertEquals(DType.I64, st.info("cos.labels").dtype());
            assertArrayEquals(new long[] {6}, st.info("cos.labels").shape());
            assertArrayEquals(new long[] {6, 4, 3, 4, 5, 4}, st.longs("cos.labels"));

            assertEquals(DType.F64, st.info("cos.wf").dtype());
            assertArrayEquals(new long[] {6, 7}, st.info("cos.wf").shape());
            double[] wf = st.doubles("cos.wf");
            assertEquals(42, wf.length);
            assertEquals(0.498667217441793, wf[0]);
            assertEquals(-0.6969760815231005, wf[1]);

            assertArrayEquals(new long[] {}, st.info("cos_unbounded.loss").shape());
            assertEquals(93.1665, st.doubles("cos_unbounded.loss")[0], 1e-4);
            assertEquals(Float.POSITIVE_INFINITY, st.floats("cos_unbounded.loss_f32")[0]);
        }
    }

    @Test
    void readsTheVitTinyCheckpoint() throws IOException {
        try (SafeTensors st = SafeTensors.open(SharedFiles.path("models/vit-tiny-patch16-224/model.safetensors"))) {
            assertEquals(152, st.names().size());
            assertEquals("vit_tiny_patch16_224", st.metadata().get("architecture"));
            assertArrayEquals(new long[] {192, 768}, st.info("blocks.11.mlp.fc2.weight").shape());
            assertArrayEquals(new long[] {1, 197, 192}, st.info("pos_embed").shape());
            long parameters = 0;
            for (String name : st.names()) {
                assertEquals(DType.F32, st.info(name).dtype(), name);
                parameters += st.info(name).elements();
            }
            assertEquals(5_717_416, parameters);

            float[] fc2 = st.floats("blocks.11.mlp.fc2.weight");
            assertEquals(0.07038677483797073f, fc2[0]);
            assertEquals(0.023592999204993248f, fc2[1]);
            assertEquals(0.06392667442560196f, fc2[191 * 768 + 767]);
            float[] pos = st.floats("pos_embed");
            assertArrayEquals(new float[] {-0.34854868054389954f, -0.029779454693198204f, -0.07389098405838013f},
                    new float[] {pos[0], pos[1], pos[2]});
            double headBiasSum = 0;
            for (double b : st.doubles("head.bias")) {
                headBiasSum += b;
            }
            assertEquals(3.438045132497791e-05, headBiasSum, 1e-12);
            assertTrue(st.contains("cls_token"));
        }
    }
}
