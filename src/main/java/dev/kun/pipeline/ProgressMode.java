package dev.kun.pipeline;

/** When progress lines go to stderr: only on a terminal, always, or never. */
public enum ProgressMode {
    AUTO,
    ALWAYS,
    NEVER
}
