package dev.kun.record;

import java.nio.charset.StandardCharsets;

/**
 * A string's text as valid UTF-8 bytes, for rules that can decide on bytes what they would decide on
 * the decoded {@code String}: substring search, trailing ASCII, code point counts, periodicity. Valid
 * UTF-8 is self-synchronising (a lead byte never occurs inside another character), so a valid keyword's
 * bytes occur in the text's bytes exactly where the keyword occurs in the text, and a byte range that
 * starts and ends on lead bytes holds whole characters. Decoding to UTF-16 was a third of the filter's
 * time on CJK text (three bytes per character) and most fields pass the rules untouched.
 *
 * <p>The bytes are also held as a Latin-1 {@code String} (one char per byte, a plain copy): the JDK's
 * intrinsic {@code String.indexOf} then searches them as fast as it searches decoded text. Only
 * {@link KunRecord#utf8} and {@link #encode} make one, so the bytes are always valid UTF-8.
 */
public final class Utf8Text {
    private final byte[] bytes;
    private final int offset;
    private final int length;
    /** {@code bytes[offset, offset + length)}, one char per byte. */
    private final String latin1;

    private Utf8Text(byte[] bytes, int offset, int length) {
        this.bytes = bytes;
        this.offset = offset;
        this.length = length;
        this.latin1 = new String(bytes, offset, length, StandardCharsets.ISO_8859_1);
    }

    /** The text of {@code b[from, to)}, which the caller vouches is valid UTF-8 and is not changed later. */
    static Utf8Text ofValid(byte[] b, int from, int to) {
        return new Utf8Text(b, from, to - from);
    }

    /**
     * {@code s} as UTF-8, or null when it holds a lone surrogate: that has no UTF-8 form, and the
     * replacement the encoder would put in its place could match where the text does not.
     */
    public static Utf8Text encode(String s) {
        if (!Json.isValidUtf16(s)) return null;
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return new Utf8Text(b, 0, b.length);
    }

    /** Length in bytes. */
    public int length() {
        return length;
    }

    /** The byte at {@code i} as 0 to 255. */
    public int byteAt(int i) {
        return latin1.charAt(i);
    }

    /** Whether {@code word}'s text occurs in this text (see the class comment for why bytes suffice). */
    public boolean contains(Utf8Text word) {
        return latin1.contains(word.latin1);
    }

    /** Index of the first byte {@code b} (0 to 255) at or after {@code from}, or -1. */
    public int indexOf(int b, int from) {
        return latin1.indexOf(b, from);
    }

    /** Number of code points: the bytes that start a character (not {@code 10xxxxxx}). */
    public int codePointCount() {
        int n = 0;
        for (int i = 0; i < length; i++) {
            if ((bytes[offset + i] & 0xc0) != 0x80) n++;
        }
        return n;
    }

    /**
     * The code point starting at byte {@code i}, which must be the first byte of a character; its length
     * in bytes is {@link #charLength}.
     */
    public int codePointAt(int i) {
        int b = bytes[offset + i];
        if (b >= 0) return b;
        int c = b & 0xff;
        if (c < 0xe0) return (c & 0x1f) << 6 | cont(i + 1);
        if (c < 0xf0) return (c & 0x0f) << 12 | cont(i + 1) << 6 | cont(i + 2);
        return (c & 0x07) << 18 | cont(i + 1) << 12 | cont(i + 2) << 6 | cont(i + 3);
    }

    private int cont(int i) {
        return bytes[offset + i] & 0x3f;
    }

    /** Length in bytes (1 to 4) of the character whose first byte is at {@code i}. */
    public int charLength(int i) {
        int c = bytes[offset + i] & 0xff;
        return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    }

    /** The text of bytes {@code [from, to)}, both character boundaries. */
    public String decode(int from, int to) {
        return new String(bytes, offset + from, to - from, StandardCharsets.UTF_8);
    }

    /** The whole text, decoded. */
    @Override
    public String toString() {
        return decode(0, length);
    }
}
