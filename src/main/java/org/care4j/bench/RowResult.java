package org.care4j.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the benchmark reports for one row. A row that did not fit in memory, failed or timed out has no
 * throughput ({@code imagesPerSecond} null) and says why in {@code reason}.
 *
 * @param spec the row
 * @param imagesPerSecond batch size over the median iteration time, null where the row did not run to the end
 * @param peakMemoryMb peak resident memory over the timed iterations (MiB); for a row stopped by the watchdog,
 *     the largest resident size it saw; null when never started
 * @param modelMemoryMb resident memory once built, before the first iteration (MiB)
 * @param secondsPerBatch median wall time of one iteration
 * @param cpuSecondsPerBatch median processor time of one iteration (all threads)
 * @param repeats timed iterations that ran
 * @param taskParameters parameters that grow with tasks, 0 for the backbone
 * @param expertsPerSample mean distinct weighted experts per sample and block
 * @param estimateMb what {@link MemoryEstimate} expected
 * @param loadAverage the machine's one-minute load average when the row started
 * @param reason why there is no figure, or null
 */
public record RowResult(RowSpec spec, Double imagesPerSecond, Double peakMemoryMb, Double modelMemoryMb,
        Double secondsPerBatch, Double cpuSecondsPerBatch, Integer repeats, Long taskParameters,
        Double expertsPerSample, double estimateMb, double loadAverage, String reason) {

    /** A row that produced no figure. */
    public static RowResult without(RowSpec spec, Double peakMemoryMb, double estimateMb, double loadAverage,
            String reason) {
        return new RowResult(spec, null, peakMemoryMb, null, null, null, null, null, null, estimateMb, loadAverage,
                reason);
    }

    public boolean measured() {
        return imagesPerSecond != null;
    }

    /** The JSON object of this row: the fields of the issue first, then the details. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("shape", spec.shape().name());
        m.put("mode", spec.mode().label());
        m.put("tasks", spec.tasks());
        m.put("phase", spec.phase().label());
        m.put("batch", spec.batch());
        m.put("images_per_s", round(imagesPerSecond, 3));
        m.put("peak_memory_mb", round(peakMemoryMb, 1));
        m.put("model_memory_mb", round(modelMemoryMb, 1));
        m.put("seconds_per_batch", round(secondsPerBatch, 4));
        m.put("cpu_seconds_per_batch", round(cpuSecondsPerBatch, 2));
        m.put("repeats", repeats);
        m.put("threads", spec.threads());
        m.put("task_parameters", taskParameters);
        m.put("experts_per_sample", round(expertsPerSample, 2));
        m.put("estimate_mb", round(estimateMb, 0));
        m.put("load_average", round(loadAverage, 2));
        m.put("reason", reason);
        return m;
    }

    private static Double round(Double v, int digits) {
        if (v == null || !Double.isFinite(v)) {
            return null;
        }
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }
}
