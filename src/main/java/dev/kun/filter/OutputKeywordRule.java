package dev.kun.filter;

import dev.kun.record.KunRecord;
import dev.kun.record.Utf8Text;

/** METHOD.md step 6: drops an output with a chat model's self-reference, dated knowledge or refusal. */
public record OutputKeywordRule(Keywords keywords) implements Rule {
    public static final String REASON = "output_keyword";

    /**
     * The record's own form, spelled out: the rule set's description, part of the resume fingerprint,
     * prints it, and the generated one builds its method handles at run time (~20 classes per start).
     */
    @Override
    public String toString() {
        return "OutputKeywordRule[keywords=" + keywords + "]";
    }

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
