package dev.kun.filter;

import dev.kun.record.KunRecord;
import dev.kun.record.Utf8Text;

/**
 * The two notions of whitespace the original scripts use. Python's {@code str.isspace()} (also what
 * its {@code re} class {@code \s} and {@code str.strip()} match) differs from Java's
 * {@code Character.isWhitespace} (which excludes U+0085 and the no-break spaces), so it is spelled
 * out here; and the trailing trim of steps 3 and 6 removes only U+0020 and U+000A.
 */
final class Whitespace {
    private Whitespace() {}

    /**
     * Python 3's {@code str.isspace()} for one code point (all such characters are in the BMP). Range
     * tests first: instruction repair asks about every character, and most of them (CJK, above U+3000,
     * or printable ASCII) are answered by the first one or two.
     */
    static boolean isSpace(int c) {
        if (c <= ' ') {
            return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
        }
        if (c < 0x85 || c > 0x3000) {
            return false;
        }
        if (c < 0x2000) {
            return c == 0x85 || c == 0xa0 || c == 0x1680;
        }
        return c <= 0x200a || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
    }

    /** Python's {@code s.strip()}: removes {@link #isSpace} characters at both ends. */
    static String strip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isSpace(s.charAt(start))) {
            start++;
        }
        while (end > start && isSpace(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(start, end);
    }

    /**
     * The original's {@code remove_trailing_spaces_and_newlines}: drops trailing U+0020 and U+000A
     * only, so a trailing tab, CR or ideographic space stays.
     */
    static String stripTrailingSpacesAndNewlines(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\n')) {
            end--;
        }
        return s.substring(0, end);
    }

    /**
     * {@link #stripTrailingSpacesAndNewlines} on a field held as UTF-8: U+0020 and U+000A are single
     * bytes that no other character's bytes contain, so the text is only decoded when there is a cut.
     */
    static Verdict keepTrimmed(KunRecord record, String field, Utf8Text text) {
        int end = text.length();
        while (end > 0 && (text.byteAt(end - 1) == ' ' || text.byteAt(end - 1) == '\n')) {
            end--;
        }
        return Verdict.keep(end == text.length() ? record : record.with(field, text.decode(0, end)));
    }
}
