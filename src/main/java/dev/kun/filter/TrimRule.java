package dev.kun.filter;

import dev.kun.record.KunRecord;
import dev.kun.record.Utf8Text;

/**
 * Removes the trailing spaces and newlines of {@code field} (U+0020 and U+000A only, as the
 * original's {@code remove_trailing_spaces_and_newlines} does). Never drops. The method uses it twice:
 * step 3 on the instruction ({@link #instruction}) and step 6 on the output ({@link #output}); the
 * original's step 6 assigned the trimmed output to {@code instruction}, and the intent, built here,
 * trims the output and leaves the instruction alone.
 */
public record TrimRule(String field, String name) implements Rule {

    /** METHOD.md step 3: the instruction, rule {@code instruction_trim}. */
    public static TrimRule instruction() {
        return new TrimRule(KunRecord.INSTRUCTION, "instruction_trim");
    }

    /** METHOD.md step 6: the output, rule {@code output_trim}. */
    public static TrimRule output() {
        return new TrimRule(KunRecord.OUTPUT, "output_trim");
    }

    /**
     * Spelled out as it read when each field had a class of its own ({@code InstructionTrimRule[]}):
     * the rule set's description prints it and is part of the resume fingerprint, so a run checkpointed
     * before still resumes; and the generated form builds its method handles at run time (~20 classes
     * per start).
     */
    @Override
    public String toString() {
        return Character.toUpperCase(field.charAt(0)) + field.substring(1) + "TrimRule[]";
    }

    @Override
    public Verdict apply(KunRecord record) {
        Utf8Text bytes = record.utf8(field);
        if (bytes != null) {
            return Whitespace.keepTrimmed(record, field, bytes);
        }
        String value = MissingFieldException.require(record, field);
        String trimmed = Whitespace.stripTrailingSpacesAndNewlines(value);
        return Verdict.keep(trimmed.length() == value.length() ? record : record.with(field, trimmed));
    }
}
