package dev.kun.filter;

import dev.kun.record.KunRecord;

/** METHOD.md step 6: removes the {@code input} field (absent is fine). Never drops the record. */
public record DropInputFieldRule() implements Rule {

    /**
     * The record's own form, spelled out: the rule set's description, part of the resume fingerprint,
     * prints it, and the generated one builds its method handles at run time (~20 classes per start).
     */
    @Override
    public String toString() {
        return "DropInputFieldRule[]";
    }

    @Override
    public String name() {
        return "drop_input";
    }

    @Override
    public Verdict apply(KunRecord record) {
        return Verdict.keep(record.without(KunRecord.INPUT));
    }
}
