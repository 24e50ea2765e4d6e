package org.care4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.care4j.api.CareModel;
import org.care4j.api.ClassScore;
import org.care4j.runtime.CareException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code care predict}: the best classes of images under a saved model, one line per image ({@code file: class
 * (score), ...}) or one JSON document; {@code N images, X img/s} goes to standard error.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Name the best classes of images among everything a saved model has learned.")
final class PredictCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model folder.")
    Path model;

    @Option(names = "--backbone", paramLabel = "FILE",
            description = "The model's backbone, when it no longer lies where the manifest says.")
    Path backbone;

    @Option(names = "--top", paramLabel = "K", defaultValue = "3", description = "Classes per image (default: 3).")
    int top;

    @Option(names = "--json", description = "Print one JSON document instead of a line per image.")
    boolean json;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "JPEG, PNG or BMP files.")
    List<Path> images = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (top < 1) {
            throw new CareException("--top: expected a positive number of classes, got " + top);
        }
        for (Path image : images) {
            CareModel.checkImage(image);
        }
        try (CareModel m = CareModel.load(model, backbone)) {
            long start = System.nanoTime();
            List<List<ClassScore>> results = m.predict(images, top);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (json) {
                System.out.println(json(results, seconds));
            } else {
                for (int i = 0; i < images.size(); i++) {
                    StringBuilder line = new StringBuilder(images.get(i).toString()).append(':');
                    List<ClassScore> best = results.get(i);
                    for (int k = 0; k < best.size(); k++) {
                        line.append(k == 0 ? " " : ", ").append(best.get(k).className())
                                .append(String.format(Locale.ROOT, " (%.3f)", best.get(k).score()));
                    }
                    System.out.println(line);
                }
            }
            System.err.printf(Locale.ROOT, "%d images, %.1f img/s%n", images.size(),
                    images.size() / Math.max(seconds, 1e-9));
        }
        return 0;
    }

    private String json(List<List<ClassScore>> results, double seconds) throws Exception {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("model", model.toAbsolutePath().normalize().toString());
        ArrayNode list = root.putArray("images");
        for (int i = 0; i < images.size(); i++) {
            ObjectNode entry = list.addObject();
            entry.put("file", images.get(i).toString());
            ArrayNode best = entry.putArray("top");
            for (ClassScore s : results.get(i)) {
                best.addObject().put("class", s.className()).put("score", s.score());
            }
        }
        root.put("seconds", seconds);
        root.put("images_per_second", images.size() / Math.max(seconds, 1e-9));
        return mapper.writeValueAsString(root);
    }
}
