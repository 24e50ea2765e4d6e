package org.care4j.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java example of docs/PRODUCT.md is {@link ProductExample}, word for word, and it runs. */
class ProductExampleTest {

    @Test
    void theDocumentedExampleIsThisCompiledClass() throws Exception {
        String doc = Files.readString(Path.of("docs/PRODUCT.md"));
        Matcher block = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(doc);
        assertTrue(block.find(), "docs/PRODUCT.md has a java block");
        String source = Files.readString(Path.of("src/test/java/org/care4j/api/ProductExample.java"))
                .replaceFirst("package org\\.care4j\\.api;\n\n", "")
                .replace("import org.care4j.config.RunConfig;\n",
                        "import org.care4j.api.*;\nimport org.care4j.config.RunConfig;\n");
        assertEquals(source, block.group(1));
    }

    @Test
    void theExampleLearnsTwoTasksAndNamesThePhotosClasses(@TempDir Path dir) throws Exception {
        int threads = ProductFixtures.oneTorchThread();
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Path photos = dir.resolve("photos");
            ProductFixtures.colourFolder(photos.resolve("pets"), 2, 1, "red", "green");
            ProductFixtures.colourFolder(photos.resolve("birds"), 2, 2, "blue", "yellow");
            Files.copy(photos.resolve("birds/blue/blue-0.png"), photos.resolve("garden.png"));
            Path backbone = ProductFixtures.tinyBackbone(dir.resolve("vit.safetensors"), 3);
            Path config = ProductFixtures.tinyConfig(dir.resolve("tiny.json"));
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            ProductExample.main(new String[] {backbone.toString(), photos.toString(), dir.resolve("model").toString(),
                config.toString()});
        } finally {
            System.setOut(saved);
            ProductFixtures.restoreTorchThreads(threads);
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertEquals("learned [green, red] from 4 images", lines[0]);
        assertEquals(4, lines.length, out.toString());
        for (int i = 1; i < 4; i++) {
            assertTrue(lines[i].matches("(red|green|blue|yellow) [01]\\.\\d{3}"), lines[i]);
        }
        try (CareModel model = CareModel.load(dir.resolve("model"))) {
            assertEquals(java.util.List.of("green", "red", "blue", "yellow"), model.classes());
        }
    }
}
