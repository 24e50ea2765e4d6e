package org.care4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.care4j.api.CareModel;
import org.care4j.api.ModelInspection;
import org.care4j.api.ModelManifest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code care inspect}: a saved model's tasks, classes, parameters per part and memory, without loading it. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a saved model's backbone, tasks, classes, parameters per part and memory.")
final class InspectCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model folder.")
    Path model;

    @Option(names = "--json", description = "Print the manifest with parameters and memory as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ModelInspection info = CareModel.inspect(model);
        System.out.print(json ? json(info) : text(info));
        return 0;
    }

    private static String text(ModelInspection info) {
        ModelManifest m = info.manifest();
        ModelManifest.Backbone b = m.backbone();
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "model %s (format %d, written by care4j %s)%n", info.folder(),
                ModelManifest.FORMAT_VERSION, m.care4jVersion()));
        s.append(String.format(Locale.ROOT, "created %s, updated %s, seed %d%n", m.created(), m.updated(),
                m.seed()));
        s.append(String.format(Locale.ROOT, "backbone %s (sha256 %s, %s, mlp %d), input %dx%d%n", b.path(),
                b.sha256().substring(0, 12), b.shape(), b.mlpWidth(), m.imageSize(), m.imageSize()));
        s.append(String.format(Locale.ROOT, "%d classes in %d tasks%n", m.classes().size(), m.tasks().size()));
        for (ModelManifest.Task t : m.tasks()) {
            s.append(String.format(Locale.ROOT, "  task %d \"%s\": %s%n", t.index() + 1, t.name(),
                    String.join(", ", t.classes())));
            s.append(String.format(Locale.ROOT, "    %d images, %d epochs, %.1f s, learned %s from %s%n",
                    t.trainImages(), t.epochs(), t.seconds(), t.learned(), t.source()));
            if (t.test() != null) {
                s.append(String.format(Locale.ROOT, "    test accuracy %.2f %% on %d images from %s%n",
                        100 * t.test().accuracy(), t.test().images(), t.test().source()));
            }
        }
        s.append("parameters\n");
        for (Map.Entry<String, Long> e : info.parameters().entrySet()) {
            s.append(String.format(Locale.ROOT, "  %-20s %,12d%n", e.getKey(), e.getValue()));
        }
        s.append(String.format(Locale.ROOT, "  %-20s %,12d%n", "learned (total)", info.learnedParameters()));
        s.append(String.format(Locale.ROOT, "memory: weights file %s, class statistics %s (%s/%s), about %s once"
                        + " loaded (float32 weights and statistics, before activations)%n",
                megabytes(info.weightsFileBytes()), megabytes(info.statisticsBytes()), m.statisticsKind(),
                m.statisticsStorage(), megabytes(info.memoryBytes())));
        return s.toString();
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.2f MB", bytes / 1e6);
    }

    private static String json(ModelInspection info) throws Exception {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("folder", info.folder().toString());
        root.set("manifest", info.manifest().toJson());
        ObjectNode parameters = root.putObject("parameters");
        info.parameters().forEach(parameters::put);
        parameters.put("learned", info.learnedParameters());
        ObjectNode memory = root.putObject("memory");
        memory.put("weights_file_bytes", info.weightsFileBytes());
        memory.put("statistics_bytes", info.statisticsBytes());
        memory.put("loaded_bytes", info.memoryBytes());
        return mapper.writeValueAsString(root) + System.lineSeparator();
    }
}
