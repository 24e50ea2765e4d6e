package org.care4j.runtime;

/**
 * A failure caused by the user's input (a file, a field, a value), reported as one clear line.
 *
 * <p>The command line prints {@link #getMessage()} without a stack trace and exits with code 2; anything else
 * thrown is a bug and is reported with its trace under {@code --verbose}.
 */
public class CareException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CareException(String message) {
        super(message);
    }

    public CareException(String message, Throwable cause) {
        super(message, cause);
    }
}
