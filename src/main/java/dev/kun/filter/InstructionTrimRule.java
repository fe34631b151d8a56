package dev.kun.filter;

import dev.kun.record.KunRecord;
import dev.kun.record.Utf8Text;

/**
 * METHOD.md step 3: removes the instruction's trailing spaces and newlines (U+0020 and U+000A only,
 * as the original does). Never drops.
 */
public record InstructionTrimRule() implements Rule {

    /**
     * The record's own form, spelled out: the rule set's description, part of the resume fingerprint,
     * prints it, and the generated one builds its method handles at run time (~20 classes per start).
     */
    @Override
    public String toString() {
        return "InstructionTrimRule[]";
    }

    @Override
    public String name() {
        return "instruction_trim";
    }

    @Override
    public Verdict apply(KunRecord record) {
        Utf8Text bytes = record.utf8(KunRecord.INSTRUCTION);
        if (bytes != null) {
            return Whitespace.keepTrimmed(record, KunRecord.INSTRUCTION, bytes);
        }
        String instruction = MissingFieldException.require(record, KunRecord.INSTRUCTION);
        String trimmed = Whitespace.stripTrailingSpacesAndNewlines(instruction);
        return Verdict.keep(trimmed.length() == instruction.length() ? record : record.with(KunRecord.INSTRUCTION, trimmed));
    }
}
