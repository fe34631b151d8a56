package dev.kun.filter;

import dev.kun.record.KunRecord;
import dev.kun.record.Utf8Text;

/**
 * Drops a record whose {@code field} contains a keyword; {@code name} is also the drop reason. The
 * method uses it twice: step 3 on the instruction ({@link #instruction}: a reference to a missing
 * context, 新闻, 图片, 根据 ...) and step 6 on the output ({@link #output}: a chat model's
 * self-reference, dated knowledge or refusal).
 */
public record KeywordRule(String field, String name, Keywords keywords) implements Rule {
    public static final String INSTRUCTION_KEYWORD = "instruction_keyword";
    public static final String OUTPUT_KEYWORD = "output_keyword";

    /** METHOD.md step 3: the instruction, reason {@code instruction_keyword}. */
    public static KeywordRule instruction(Keywords keywords) {
        return new KeywordRule(KunRecord.INSTRUCTION, INSTRUCTION_KEYWORD, keywords);
    }

    /** METHOD.md step 6: the output, reason {@code output_keyword}. */
    public static KeywordRule output(Keywords keywords) {
        return new KeywordRule(KunRecord.OUTPUT, OUTPUT_KEYWORD, keywords);
    }

    /**
     * Spelled out as it read when each field had a class of its own ({@code InstructionKeywordRule[...]}):
     * the rule set's description prints it and is part of the resume fingerprint, so a run checkpointed
     * before still resumes; and the generated form builds its method handles at run time (~20 classes
     * per start).
     */
    @Override
    public String toString() {
        return Character.toUpperCase(field.charAt(0)) + field.substring(1) + "KeywordRule[keywords=" + keywords + "]";
    }

    @Override
    public Verdict apply(KunRecord record) {
        Utf8Text bytes = record.utf8(field);
        boolean found = bytes != null
                ? keywords.anyIn(bytes)
                : keywords.firstIn(MissingFieldException.require(record, field)) != null;
        return found ? Verdict.drop(name) : Verdict.keep(record);
    }
}
