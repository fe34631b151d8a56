package dev.kun.record;

/** How an input file is parsed; AUTO decides by file name (*.txt is text) and first character ([ is a JSON array). */
public enum InputFormat {
    AUTO,
    JSONL,
    TEXT
}
