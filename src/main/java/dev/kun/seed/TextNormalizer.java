package dev.kun.seed;

import java.text.Normalizer;

/**
 * Cleans a document's text: optional Unicode NFKC, then one pass over the characters that unifies
 * line breaks, removes control and invisible characters, collapses horizontal whitespace and blank
 * lines, and trims. The result is idempotent: cleaning a cleaned text changes nothing.
 *
 * <ul>
 *   <li>Line breaks: {@code \r\n}, {@code \r}, VT, FF, NEL (U+0085), U+2028 and U+2029 become {@code \n}.
 *   <li>Removed: every other C0/C1 control character, U+200B zero-width space, U+2060 word joiner,
 *       U+FEFF (BOM), U+00AD soft hyphen. Kept: U+200C/U+200D (ZWNJ/ZWJ), which emoji sequences and
 *       Indic and Persian scripts need, and bidirectional marks.
 *   <li>A run of spaces, tabs and other space separators (NBSP, U+3000 ideographic space, ...)
 *       inside a line becomes one ASCII space; every line is trimmed; three or more line breaks in a
 *       row (blank lines included) become two; the text is trimmed of leading and trailing breaks.
 *   <li>A lone surrogate (possible in JSON {@code \\ud800} escapes) becomes U+FFFD so the output is
 *       valid UTF-8; a surrogate pair is always copied whole.
 * </ul>
 */
public final class TextNormalizer {
    private final boolean nfkc;

    /** {@code nfkc}: apply Unicode NFKC (full-width to ASCII, compatibility ligatures, ...) as well. */
    public TextNormalizer(boolean nfkc) {
        this.nfkc = nfkc;
    }

    public boolean nfkc() {
        return nfkc;
    }

    public String normalize(String text) {
        String cleaned = clean(text);
        if (!nfkc) {
            return cleaned;
        }
        // NFKC can turn characters into spaces (U+3000) and removing invisibles can join a base
        // character to a combining mark, so clean, compose, and clean once more.
        String composed = Normalizer.normalize(cleaned, Normalizer.Form.NFKC);
        return composed.equals(cleaned) ? cleaned : clean(composed);
    }

    private static String clean(String text) {
        // Most documents of a corpus are already clean: one read-only scan, no copy.
        return isClean(text) ? text : rebuild(text);
    }

    /** True when {@link #rebuild} would return {@code text} unchanged. */
    private static boolean isClean(String text) {
        int n = text.length();
        char prev = '\n'; // a leading space or break is not clean
        int breaks = 0;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c > ' ' && c < 0x7f) {
                prev = c;
                breaks = 0;
                continue;
            }
            if (c == ' ') {
                if (prev == ' ' || prev == '\n') {
                    return false;
                }
            } else if (c == '\n') {
                if (prev == ' ' || (prev == '\n' && (breaks == 0 || ++breaks > 2))) {
                    return false;
                }
                breaks = Math.max(breaks, 1);
            } else if (classify(c) != Kind.KEEP) {
                return false;
            } else if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 >= n || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    return false;
                }
                i++;
                breaks = 0;
            } else {
                breaks = 0;
            }
            prev = c;
        }
        return prev != ' ' && prev != '\n';
    }

    private static String rebuild(String text) {
        int n = text.length();
        StringBuilder out = new StringBuilder(n);
        int pendingBreaks = 0;
        boolean pendingSpace = false;
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            switch (classify(c)) {
                case BREAK -> {
                    if (c == '\r' && i + 1 < n && text.charAt(i + 1) == '\n') {
                        i++;
                    }
                    pendingBreaks++;
                    pendingSpace = false;
                    continue;
                }
                case SPACE -> {
                    pendingSpace = true;
                    continue;
                }
                case REMOVED -> {
                    continue;
                }
                default -> {}
            }
            if (out.length() > 0) {
                if (pendingBreaks > 0) {
                    out.append(pendingBreaks == 1 ? "\n" : "\n\n");
                } else if (pendingSpace) {
                    out.append(' ');
                }
            }
            pendingBreaks = 0;
            pendingSpace = false;
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                    out.append(c).append(text.charAt(++i));
                } else {
                    out.append('\uFFFD');
                }
            } else if (Character.isLowSurrogate(c)) {
                out.append('\uFFFD');
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private enum Kind { KEEP, BREAK, SPACE, REMOVED }

    private static Kind classify(char c) {
        if (c > 0x3000 && c < 0xD800) {
            return Kind.KEEP; // CJK and most scripts: the common case of a Chinese corpus, first
        }
        if (c >= 0x20 && c < 0x7f) {
            return c == ' ' ? Kind.SPACE : Kind.KEEP;
        }
        if (c == '\t') {
            return Kind.SPACE;
        }
        if (c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x85 || c == 0x2028 || c == 0x2029) {
            return Kind.BREAK;
        }
        if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
            return Kind.REMOVED;
        }
        if (c == 0x200b || c == 0x2060 || c == 0xfeff || c == 0xad) {
            return Kind.REMOVED;
        }
        if (c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x202f || c == 0x205f
                || c == 0x3000) {
            return Kind.SPACE;
        }
        return Kind.KEEP;
    }
}
