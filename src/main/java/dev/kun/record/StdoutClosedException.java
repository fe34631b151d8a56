package dev.kun.record;

import java.io.IOException;

/** The reader of stdout went away ({@code kun ... | head}): the run stops early, and that is not a failure of kun. */
public final class StdoutClosedException extends IOException {
    public StdoutClosedException() {
        super("stdout was closed");
    }
}
