package org.care4j.io;

import java.io.IOException;

/**
 * A weight or array file whose bytes break its format: a truncated file, a header that is not what the
 * format allows, offsets or sizes that disagree with each other, or a type this package refuses to read.
 *
 * <p>The message starts with the file (or archive entry) it concerns, then names the tensor or field and the
 * problem, for example {@code "model.safetensors: tensor 'pos_embed' data_offsets [0, 1024) exceed data
 * section of 512 bytes"}. Plain {@link IOException}s, by contrast, are failures to read the disk at all.
 */
public class MalformedFileException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String source;

    /**
     * @param source the file or archive entry, as it should appear in the message
     * @param problem what is wrong, naming the tensor or field where there is one
     */
    public MalformedFileException(String source, String problem) {
        super(source + ": " + problem);
        this.source = source;
    }

    /**
     * @param source the file or archive entry, as it should appear in the message
     * @param problem what is wrong, naming the tensor or field where there is one
     * @param cause the lower-level failure that revealed it
     */
    public MalformedFileException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
        this.source = source;
    }

    /** The file or archive entry the problem was found in. */
    public String source() {
        return source;
    }
}
