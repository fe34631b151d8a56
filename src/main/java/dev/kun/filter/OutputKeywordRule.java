package dev.kun.filter;

import dev.kun.record.KunRecord;

/** METHOD.md step 6: drops an output with a chat model's self-reference, dated knowledge or refusal. */
public record OutputKeywordRule(Keywords keywords) implements Rule {
    public static final String REASON = "output_keyword";

    @Override
    public String name() {
        return REASON;
    }

    @Override
    public Verdict apply(KunRecord record) {
        String output = MissingFieldException.require(record, KunRecord.OUTPUT);
        return keywords.firstIn(output) == null ? Verdict.keep(record) : Verdict.drop(REASON);
    }
}
