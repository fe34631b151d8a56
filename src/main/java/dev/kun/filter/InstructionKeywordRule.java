package dev.kun.filter;

import dev.kun.record.KunRecord;
import dev.kun.record.Utf8Text;

/** METHOD.md step 3: drops a record whose instruction refers to a missing context (新闻, 图片, 根据 ...). */
public record InstructionKeywordRule(Keywords keywords) implements Rule {
    public static final String REASON = "instruction_keyword";

    /**
     * The record's own form, spelled out: the rule set's description, part of the resume fingerprint,
     * prints it, and the generated one builds its method handles at run time (~20 classes per start).
     */
    @Override
    public String toString() {
        return "InstructionKeywordRule[keywords=" + keywords + "]";
    }

    @Override
    public String name() {
        return REASON;
    }

    @Override
    public Verdict apply(KunRecord record) {
        Utf8Text bytes = record.utf8(KunRecord.INSTRUCTION);
        boolean found = bytes != null
                ? keywords.anyIn(bytes)
                : keywords.firstIn(MissingFieldException.require(record, KunRecord.INSTRUCTION)) != null;
        return found ? Verdict.drop(REASON) : Verdict.keep(record);
    }
}
