package dev.kun.filter;

import dev.kun.record.KunRecord;
import dev.kun.record.Utf8Text;

/** METHOD.md step 6: drops an output with a chat model's self-reference, dated knowledge or refusal. */
public record OutputKeywordRule(Keywords keywords) implements Rule {
    public static final String REASON = "output_keyword";

    @Override
    public String name() {
        return REASON;
    }

    @Override
    public Verdict apply(KunRecord record) {
        Utf8Text bytes = record.utf8(KunRecord.OUTPUT);
        boolean found = bytes != null
                ? keywords.anyIn(bytes)
                : keywords.firstIn(MissingFieldException.require(record, KunRecord.OUTPUT)) != null;
        return found ? Verdict.drop(REASON) : Verdict.keep(record);
    }
}
