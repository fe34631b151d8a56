package dev.kun.error;

/**
 * A failure the user can act on: carries the exit code and a one-line message. Only {@code Kun.main}
 * turns it into an exit; code below it throws.
 */
public class KunException extends RuntimeException {
    private final int exitCode;

    public KunException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public KunException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }

    public static KunException badInput(String message) {
        return new KunException(ExitCodes.BAD_INPUT, message);
    }

    public static KunException usage(String message) {
        return new KunException(ExitCodes.USAGE, message);
    }

    public static KunException backend(String message, Throwable cause) {
        return new KunException(ExitCodes.BACKEND, message, cause);
    }
}
