package dev.kun.record;

/** How plain text becomes records: blank-line separated paragraphs, single lines, or whole files. */
public enum SplitMode {
    PARAGRAPH,
    LINE,
    FILE
}
