package dev.kun.filter;

import dev.kun.record.KunRecord;
import dev.kun.record.Utf8Text;

/**
 * METHOD.md step 6: drops "catastrophic repetition", an output that starts with some unit repeated
 * {@code minRepeats} or more times in a row. The original tries every unit length (quadratic); here
 * the Z-function finds it in linear time, over code points so a unit never splits a surrogate pair.
 */
public record RepetitionRule(int minRepeats) implements Rule {
    public static final String REASON = "output_repetition";

    public RepetitionRule {
        if (minRepeats < 2) {
            throw new IllegalArgumentException("min_repeats must be at least 2, got " + minRepeats);
        }
    }

    /**
     * The record's own form, spelled out: the rule set's description, part of the resume fingerprint,
     * prints it, and the generated one builds its method handles at run time (~20 classes per start).
     */
    @Override
    public String toString() {
        return "RepetitionRule[minRepeats=" + minRepeats + "]";
    }

    @Override
    public String name() {
        return REASON;
    }

    @Override
    public Verdict apply(KunRecord record) {
        Utf8Text bytes = record.utf8(KunRecord.OUTPUT);
        if (bytes != null) {
            return shortestUnit(bytes, minRepeats) >= 0 ? Verdict.drop(REASON) : Verdict.keep(record);
        }
        String output = MissingFieldException.require(record, KunRecord.OUTPUT);
        return startsWithRepetition(output, minRepeats) ? Verdict.drop(REASON) : Verdict.keep(record);
    }

    /**
     * Whether {@code text} starts with a unit of p >= 1 code points repeated {@code repeats} times. The
     * prefix of length repeats*p has period p exactly when z[p] >= (repeats-1)*p, where z[p] is the
     * length of the longest common prefix of the text and its suffix at p (the Z-function).
     */
    static boolean startsWithRepetition(String text, int repeats) {
        // Valid text on its UTF-8 bytes (see shortestUnit(Utf8Text, int)); text with lone surrogates,
        // which have no UTF-8 form, on its code points.
        Utf8Text utf8 = Utf8Text.encode(text);
        return (utf8 != null ? shortestUnit(utf8, repeats) : shortestUnit(text.codePoints().toArray(), repeats)) >= 0;
    }

    /**
     * {@link #shortestUnit(int[], int)} over UTF-8 bytes. In valid UTF-8 a byte unit repeated at least
     * twice from the start is whole code points: the second copy starts with the first byte of the text,
     * a lead byte, so the unit ends on a character boundary, and so does every copy after it. A text thus
     * starts with a repeated byte unit exactly when it starts with a repeated code point unit.
     *
     * <p>Only offsets holding the first byte can have z[p] > 0 (inside the box too, as z[p - boxStart] > 0
     * means the same byte), so the loop jumps between them; the others keep z[p] = 0 and leave the box
     * alone. In CJK text that skips most offsets, which are continuation bytes or other characters.
     */
    static int shortestUnit(Utf8Text s, int repeats) {
        int n = s.length();
        int maxUnit = n / repeats;
        if (maxUnit == 0) {
            return -1;
        }
        int[] z = new int[maxUnit + 1];
        int boxStart = 0;
        int boxEnd = 0;
        int first = s.byteAt(0);
        for (int p = s.indexOf(first, 1); p > 0 && p <= maxUnit; p = s.indexOf(first, p + 1)) {
            int k = p < boxEnd ? Math.min(boxEnd - p, z[p - boxStart]) : 0;
            while (p + k < n && s.byteAt(k) == s.byteAt(p + k)) {
                k++;
            }
            z[p] = k;
            if (p + k > boxEnd) {
                boxStart = p;
                boxEnd = p + k;
            }
            if (k >= (repeats - 1) * p) {
                return p;
            }
        }
        return -1;
    }

    /** The shortest p with the first repeats*p code points of {@code s} of period p, or -1 (Z-function). */
    private static int shortestUnit(int[] s, int repeats) {
        int n = s.length;
        int maxUnit = n / repeats;
        int[] z = new int[maxUnit + 1];
        int boxStart = 0;
        int boxEnd = 0;
        for (int p = 1; p <= maxUnit; p++) {
            int k = p < boxEnd ? Math.min(boxEnd - p, z[p - boxStart]) : 0;
            while (p + k < n && s[k] == s[p + k]) {
                k++;
            }
            z[p] = k;
            if (p + k > boxEnd) {
                boxStart = p;
                boxEnd = p + k;
            }
            if (k >= (repeats - 1) * p) {
                return p;
            }
        }
        return -1;
    }
}
