package dev.kun.filter;

import dev.kun.record.KunRecord;

/** METHOD.md step 3: drops a record whose instruction refers to a missing context (新闻, 图片, 根据 ...). */
public record InstructionKeywordRule(Keywords keywords) implements Rule {
    public static final String REASON = "instruction_keyword";

    @Override
    public String name() {
        return REASON;
    }

    @Override
    public Verdict apply(KunRecord record) {
        String instruction = MissingFieldException.require(record, KunRecord.INSTRUCTION);
        return keywords.firstIn(instruction) == null ? Verdict.keep(record) : Verdict.drop(REASON);
    }
}
