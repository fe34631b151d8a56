package dev.kun.filter;

import dev.kun.record.KunRecord;
import dev.kun.record.Utf8Text;

/**
 * METHOD.md step 6: removes the output's trailing spaces and newlines (U+0020 and U+000A only). The
 * original assigned the trimmed output to {@code instruction}; the intent, built here, trims the
 * output and leaves the instruction alone. Never drops.
 */
public record OutputTrimRule() implements Rule {

    /**
     * The record's own form, spelled out: the rule set's description, part of the resume fingerprint,
     * prints it, and the generated one builds its method handles at run time (~20 classes per start).
     */
    @Override
    public String toString() {
        return "OutputTrimRule[]";
    }

    @Override
    public String name() {
        return "output_trim";
    }

    @Override
    public Verdict apply(KunRecord record) {
        Utf8Text bytes = record.utf8(KunRecord.OUTPUT);
        if (bytes != null) {
            return Whitespace.keepTrimmed(record, KunRecord.OUTPUT, bytes);
        }
        String output = MissingFieldException.require(record, KunRecord.OUTPUT);
        String trimmed = Whitespace.stripTrailingSpacesAndNewlines(output);
        return Verdict.keep(trimmed.length() == output.length() ? record : record.with(KunRecord.OUTPUT, trimmed));
    }
}
