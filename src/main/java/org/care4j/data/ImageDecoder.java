package org.care4j.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes JPEG, PNG and BMP files to {@link RgbImage} with {@code javax.imageio}, the way PIL's
 * {@code Image.open(f).convert("RGB")} would: grey is replicated to three channels, palettes are
 * looked up, alpha is dropped (not composited).
 *
 * <p>A file that is not one of the three formats, is truncated or is otherwise corrupt raises
 * {@link BadImageException} naming the file and the problem. The width and height are read from the
 * header first, and an image of more than {@link #MAX_PIXELS} pixels is refused before any pixel
 * memory is allocated, so a small file that claims to be 20000x20000 cannot exhaust the heap.
 * Thread-safe: each call uses its own reader.
 */
public final class ImageDecoder {

    private static final Logger LOG = LoggerFactory.getLogger(ImageDecoder.class);

    static {
        // Decoding from memory needs no temporary files; the disk cache only slows worker threads
        // down.
        ImageIO.setUseCache(false);
    }

    private ImageDecoder() {}

    /** File name extensions (lower case, without the dot) this decoder reads. */
    public static final List<String> EXTENSIONS = List.of("jpg", "jpeg", "png", "bmp");

    /**
     * Largest image decoded, in pixels (100 megapixels, e.g. 10000x10000): about 300 MB as RGB
     * bytes, and as much again while javax.imageio holds its own raster.
     */
    public static final long MAX_PIXELS = 100_000_000L;

    /** Width and height of an image as its header states them. */
    public record Size(int width, int height) {
        @Override
        public String toString() {
            return width + "x" + height;
        }
    }

    /**
     * Reads only the header of a file: its format and its size, without decoding pixels.
     *
     * @throws BadImageException if the file cannot be read, is not JPEG, PNG or BMP, has a header
     *     that cannot be parsed, or states more than {@link #MAX_PIXELS} pixels
     */
    public static Size size(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BadImageException(file.toString(), "cannot read file: " + e.getMessage(), e);
        }
        String source = file.toString();
        String format = checkedFormat(bytes, source);
        ImageReader reader = readerFor(format);
        try (ImageInputStream in =
                ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            return checkedSize(reader, format, source);
        } catch (BadImageException e) {
            throw e;
        } catch (IIOException e) {
            throw new BadImageException(
                    source,
                    "corrupt " + format.toUpperCase(Locale.ROOT) + " header: " + describe(e),
                    e);
        } catch (IOException | RuntimeException e) {
            throw new BadImageException(
                    source, "corrupt " + format.toUpperCase(Locale.ROOT) + " header: " + e, e);
        } finally {
            reader.dispose();
        }
    }

    /** Reads and decodes a file. */
    public static RgbImage decode(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new BadImageException(file.toString(), "cannot read file: " + e.getMessage(), e);
        }
        return decode(bytes, file.toString());
    }

    /**
     * Decodes an encoded image held in memory.
     *
     * @param source the file or archive entry, for messages
     */
    public static RgbImage decode(byte[] bytes, String source) {
        String format = checkedFormat(bytes, source);
        ImageReader reader = readerFor(format);
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((r, warning) -> warnings.add(warning));
        BufferedImage image;
        try (ImageInputStream in =
                ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            checkedSize(reader, format, source);
            image = reader.read(0);
        } catch (BadImageException e) {
            throw e;
        } catch (IIOException e) {
            throw new BadImageException(
                    source, "corrupt " + format.toUpperCase(Locale.ROOT) + ": " + describe(e), e);
        } catch (IOException | RuntimeException e) {
            throw new BadImageException(
                    source, "corrupt " + format.toUpperCase(Locale.ROOT) + ": " + e, e);
        } finally {
            reader.dispose();
        }
        for (String warning : warnings) {
            // libjpeg reports missing data (a truncated or damaged file) only as a warning and pads
            // the image
            // with grey; PIL refuses a truncated file, and so do we. Other warnings (such as
            // extraneous bytes
            // before a marker) leave the whole image intact.
            if (warning.toLowerCase(Locale.ROOT).contains("premature end")) {
                throw new BadImageException(
                        source,
                        "corrupt "
                                + format.toUpperCase(Locale.ROOT)
                                + ": "
                                + warning
                                + " (truncated or damaged file)");
            }
            LOG.debug("{}: {}", source, warning);
        }
        return toRgb(image, source);
    }

    private static String checkedFormat(byte[] bytes, String source) {
        String format = formatOf(bytes);
        if (format == null) {
            throw new BadImageException(source, "not a JPEG, PNG or BMP file (unknown signature)");
        }
        return format;
    }

    private static ImageReader readerFor(String format) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format);
        if (!readers.hasNext()) {
            throw new IllegalStateException("no javax.imageio reader for " + format);
        }
        return readers.next();
    }

    /** The header's size, refused above {@link #MAX_PIXELS} before the reader allocates a raster. */
    private static Size checkedSize(ImageReader reader, String format, String source)
            throws IOException {
        Size size = new Size(reader.getWidth(0), reader.getHeight(0));
        if (size.width() < 1 || size.height() < 1) {
            throw new BadImageException(
                    source,
                    "corrupt " + format.toUpperCase(Locale.ROOT) + ": header states " + size);
        }
        if ((long) size.width() * size.height() > MAX_PIXELS) {
            throw new BadImageException(
                    source,
                    String.format(
                            Locale.ROOT,
                            "image of %s pixels (%.0f megapixels) exceeds the limit of %d"
                                    + " megapixels",
                            size,
                            (double) size.width() * size.height() / 1e6,
                            MAX_PIXELS / 1_000_000));
        }
        return size;
    }

    /** The javax.imageio format name for a file's signature, or null. */
    static String formatOf(byte[] b) {
        if (b.length >= 3
                && (b[0] & 0xFF) == 0xFF
                && (b[1] & 0xFF) == 0xD8
                && (b[2] & 0xFF) == 0xFF) {
            return "jpeg";
        }
        if (b.length >= 8 && (b[0] & 0xFF) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
            return "png";
        }
        if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
            return "bmp";
        }
        return null;
    }

    private static String describe(IIOException e) {
        String message = e.getMessage();
        if (message != null && message.contains("Unsupported Image Type")) {
            // Not yet: CMYK and YCCK JPEGs (PIL converts them); they are rare in the benchmark
            // sets.
            return "unsupported colour type (CMYK or YCCK JPEG?)";
        }
        return message == null ? e.toString() : message;
    }

    static RgbImage toRgb(BufferedImage image, String source) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] rgb = new byte[w * h * 3];
        ColorModel model = image.getColorModel();
        Raster raster = image.getRaster();
        if (image.getType() == BufferedImage.TYPE_3BYTE_BGR
                && raster.getDataBuffer() instanceof DataBufferByte buffer
                && raster.getSampleModelTranslateX() == 0
                && raster.getSampleModelTranslateY() == 0
                && buffer.getData().length == rgb.length) {
            byte[] bgr = buffer.getData();
            for (int i = 0; i < rgb.length; i += 3) {
                rgb[i] = bgr[i + 2];
                rgb[i + 1] = bgr[i + 1];
                rgb[i + 2] = bgr[i];
            }
        } else if (!(model instanceof IndexColorModel)
                && model.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            // getRGB() would pass grey through a linear-to-sRGB curve; PIL copies the sample
            // unchanged.
            int bits = model.getComponentSize(0);
            int max = (1 << bits) - 1;
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int v =
                            bits == 8
                                    ? row[x]
                                    : bits > 8 ? row[x] >>> (bits - 8) : row[x] * 255 / max;
                    int o = (y * w + x) * 3;
                    rgb[o] = (byte) v;
                    rgb[o + 1] = (byte) v;
                    rgb[o + 2] = (byte) v;
                }
            }
        } else if (model.getColorSpace().isCS_sRGB() || model instanceof IndexColorModel) {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                image.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int o = (y * w + x) * 3;
                    int argb = row[x];
                    rgb[o] = (byte) (argb >>> 16);
                    rgb[o + 1] = (byte) (argb >>> 8);
                    rgb[o + 2] = (byte) argb;
                }
            }
        } else {
            throw new BadImageException(
                    source,
                    "unsupported colour space (type " + model.getColorSpace().getType() + ")");
        }
        return new RgbImage(w, h, rgb);
    }
}
