package org.care4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code care run} options that fail before any data is read. */
class RunCommandTest {

    @Test
    void anUnknownMethodIsOneLineNamingTheOptionAndTheChoices(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("c.json");
        Files.copy(Path.of("configs/quickstart.json"), config);
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = Care.execute("run", "--config", config.toString(), "--method", "icarl", "--out",
                    dir.resolve("out").toString());
        } finally {
            System.setErr(saved);
        }
        assertEquals(2, code);
        assertEquals("care: --method: key \"method\": expected one of \"care\", \"simplecil\", \"aper_adapter\", "
                + "\"finetune\", got \"icarl\"", err.toString(StandardCharsets.UTF_8).strip());
        assertFalse(Files.exists(dir.resolve("out")));
    }
}
