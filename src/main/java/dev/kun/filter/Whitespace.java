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

    /** Python 3's {@code str.isspace()} for one code point (all such characters are in the BMP). */
    static boolean isSpace(int c) {
        if (c >= 0x2000 && c <= 0x200A) {
            return true;
        }
        return switch (c) {
            case '\t', '\n', 0x0B, '\f', '\r', 0x1C, 0x1D, 0x1E, 0x1F, ' ', 0x85, 0xA0, 0x1680, 0x2028, 0x2029,
                    0x202F, 0x205F, 0x3000 -> true;
            default -> false;
        };
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
