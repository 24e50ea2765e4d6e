package org.care4j.data;

import org.care4j.runtime.CareException;

/**
 * An image file or record that cannot be decoded. The message names the file and the problem; a
 * {@link BatchLoader} set to skip bad images logs it and leaves the image out instead of failing.
 */
public final class BadImageException extends CareException {

    private static final long serialVersionUID = 1L;

    private final String source;

    public BadImageException(String source, String problem) {
        super(source + ": " + problem);
        this.source = source;
    }

    public BadImageException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
        this.source = source;
    }

    /** The file or record that failed. */
    public String source() {
        return source;
    }
}
