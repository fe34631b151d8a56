package dev.kun.filter;

import dev.kun.record.KunRecord;

/** METHOD.md step 6: removes the {@code input} field (absent is fine). Never drops the record. */
public record DropInputFieldRule() implements Rule {

    @Override
    public String name() {
        return "drop_input";
    }

    @Override
    public Verdict apply(KunRecord record) {
        return Verdict.keep(record.without(KunRecord.INPUT));
    }
}
