package org.care4j.api;

import java.nio.file.Path;
import java.util.List;
import org.care4j.config.RunConfig;

/** Keeps one model and teaches it two tasks; run with BACKBONE PHOTOS MODEL [CONFIG]. */
public class ProductExample {

    public static void main(String[] args) {
        Path backbone = Path.of(args[0]);   // a timm ViT in safetensors, e.g. vit-tiny-patch16-224/model.safetensors
        Path photos = Path.of(args[1]);     // photos/pets/<class>/*.jpg, photos/birds/<class>/*.jpg, garden.png
        Path folder = Path.of(args[2]);     // where the model is kept
        RunConfig config = args.length > 3 ? CareModel.configFrom(Path.of(args[3])) : CareModel.defaultConfig();

        // First day: a new model learns the pets.
        try (CareModel model = CareModel.create(backbone, config)) {
            ModelManifest.Task pets = model.learnTask(photos.resolve("pets"));
            System.out.println("learned " + pets.classes() + " from " + pets.trainImages() + " images");
            model.save(folder);
        }

        // Later: the same model learns birds, keeps the pets, and names the classes of a photo.
        try (CareModel model = CareModel.load(folder)) {
            model.learnTask(NewTask.fromFolder(photos.resolve("birds")).withEpochs(2));
            List<List<ClassScore>> best = model.predict(List.of(photos.resolve("garden.png")), 3);
            for (ClassScore score : best.get(0)) {
                System.out.printf("%s %.3f%n", score.className(), score.score());
            }
            model.save(folder);                  // atomic: the old model or the new one, never half of either
        }
    }
}
