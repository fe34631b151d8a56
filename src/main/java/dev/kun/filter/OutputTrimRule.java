package dev.kun.filter;

import dev.kun.record.KunRecord;
import dev.kun.record.Utf8Text;

/**
 * METHOD.md step 6: removes the output's trailing spaces and newlines (U+0020 and U+000A only). The
 * original assigned the trimmed output to {@code instruction}; the intent, built here, trims the
 * output and leaves the instruction alone. Never drops.
 */
public record OutputTrimRule() implements Rule {

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
