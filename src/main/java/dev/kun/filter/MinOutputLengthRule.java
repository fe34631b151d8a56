package dev.kun.filter;

import dev.kun.record.KunRecord;
import dev.kun.record.Utf8Text;

/**
 * METHOD.md step 6: drops an output shorter than {@code minChars} characters. Characters are Unicode
 * code points, as Python's {@code len} counts them, so an emoji counts once, not as two UTF-16 units.
 */
public record MinOutputLengthRule(int minChars) implements Rule {
    public static final String REASON = "output_too_short";

    public MinOutputLengthRule {
        if (minChars < 0) {
            throw new IllegalArgumentException("min_chars must not be negative, got " + minChars);
        }
    }

    /**
     * The record's own form, spelled out: the rule set's description, part of the resume fingerprint,
     * prints it, and the generated one builds its method handles at run time (~20 classes per start).
     */
    @Override
    public String toString() {
        return "MinOutputLengthRule[minChars=" + minChars + "]";
    }

    @Override
    public String name() {
        return REASON;
    }

    @Override
    public Verdict apply(KunRecord record) {
        Utf8Text bytes = record.utf8(KunRecord.OUTPUT);
        if (bytes != null) {
            // A code point is at most four bytes, so 4 * minChars bytes need no counting.
            boolean tooShort = bytes.length() < 4L * minChars && bytes.codePointCount() < minChars;
            return tooShort ? Verdict.drop(REASON) : Verdict.keep(record);
        }
        String output = MissingFieldException.require(record, KunRecord.OUTPUT);
        // A code point is at most two UTF-16 units, so a string of 2 * minChars units needs no counting.
        boolean tooShort = output.length() < 2 * minChars && output.codePointCount(0, output.length()) < minChars;
        return tooShort ? Verdict.drop(REASON) : Verdict.keep(record);
    }
}
