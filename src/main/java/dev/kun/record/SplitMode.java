package dev.kun.record;

/** How plain text becomes records: blank-line separated paragraphs, single lines, or whole files. */
public enum SplitMode {
    PARAGRAPH,
    LINE,
    FILE;

    /** As the option takes it (--split line), so help shows a default among the listed values. */
    @Override
    public String toString() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
