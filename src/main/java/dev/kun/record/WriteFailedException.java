package dev.kun.record;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Writing to an open output file failed (disk full, quota, I/O error, a pipe whose reader left): the
 * operating system's reason with the file it happened to, which its own exception does not name.
 */
public final class WriteFailedException extends IOException {
    private final Path file;

    public WriteFailedException(Path file, IOException cause) {
        super(file + ": " + reason(cause), cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** The operating system's words ("No space left on device"), or the exception's name. */
    public String reason() {
        return reason((IOException) getCause());
    }

    private static String reason(IOException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
