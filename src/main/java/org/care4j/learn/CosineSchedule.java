package org.care4j.learn;

/**
 * Cosine annealing per epoch, as PyTorch's {@code CosineAnnealingLR}:
 * {@code lr(e) = min + (max - min) * (1 + cos(pi * e / period)) / 2}. Past one period it rises again.
 */
public record CosineSchedule(double max, double min, double period) {

    public CosineSchedule {
        if (period <= 0) {
            throw new IllegalArgumentException("period must be positive, got " + period);
        }
    }

    public double at(int epoch) {
        return min + (max - min) * (1 + Math.cos(Math.PI * epoch / period)) / 2;
    }
}
