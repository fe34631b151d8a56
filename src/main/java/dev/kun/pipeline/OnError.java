package dev.kun.pipeline;

/** What the runner does with bad input: stop with exit 3, or reject the record and go on. */
public enum OnError {
    FAIL,
    SKIP
}
