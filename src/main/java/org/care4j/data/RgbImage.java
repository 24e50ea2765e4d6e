package org.care4j.data;

/**
 * A decoded image: 8-bit RGB, rows top to bottom, pixels left to right, channels interleaved
 * ({@code rgb[(y * width + x) * 3 + c]}, c = 0 red, 1 green, 2 blue; HWC). Grey and palette sources
 * are expanded to three equal channels and alpha is dropped, as PIL's {@code convert("RGB")} does.
 *
 * <p>The array is shared, not copied; treat it as read-only.
 */
public record RgbImage(int width, int height, byte[] rgb) {

    public RgbImage {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException(
                    "image must be at least 1x1, got " + width + "x" + height);
        }
        if (rgb.length != width * height * 3) {
            throw new IllegalArgumentException(
                    "expected "
                            + width * height * 3
                            + " bytes for "
                            + width
                            + "x"
                            + height
                            + " RGB, got "
                            + rgb.length);
        }
    }

    /** Channel {@code c} of pixel (x, y), 0..255. */
    public int get(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }
}
