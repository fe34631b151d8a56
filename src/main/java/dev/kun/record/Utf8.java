package dev.kun.record;

/** Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF), as RFC 3629 defines it. */
public final class Utf8 {
    private Utf8() {}

    /**
     * Index of the first byte of the first invalid sequence in {@code b[0, len)}, or -1 when all valid.
     * Every input line passes through here, so each sequence length has its own branch with the
     * RFC 3629 table of valid second bytes instead of decoding the code point.
     */
    public static int firstInvalid(byte[] b, int len) {
        int i = 0;
        while (i < len) {
            int c = b[i];
            if (c >= 0) {
                i++;
                continue;
            }
            c &= 0xff;
            if (c < 0xc2 || c > 0xf4) {
                return i; // a continuation byte, an overlong 2-byte lead (C0, C1) or beyond U+10FFFF
            }
            if (c < 0xe0) {
                if (i + 1 >= len || !continuation(b[i + 1])) return i;
                i += 2;
            } else if (c < 0xf0) {
                if (i + 2 >= len) return i;
                int c1 = b[i + 1] & 0xff;
                // E0 needs A0..BF (else overlong), ED needs 80..9F (else a surrogate).
                int lo = c == 0xe0 ? 0xa0 : 0x80;
                int hi = c == 0xed ? 0x9f : 0xbf;
                if (c1 < lo || c1 > hi || !continuation(b[i + 2])) return i;
                i += 3;
            } else {
                if (i + 3 >= len) return i;
                int c1 = b[i + 1] & 0xff;
                // F0 needs 90..BF (else overlong), F4 needs 80..8F (else above U+10FFFF).
                int lo = c == 0xf0 ? 0x90 : 0x80;
                int hi = c == 0xf4 ? 0x8f : 0xbf;
                if (c1 < lo || c1 > hi || !continuation(b[i + 2]) || !continuation(b[i + 3])) return i;
                i += 4;
            }
        }
        return -1;
    }

    /**
     * Length (2 to 4) of the valid multi-byte sequence starting at {@code b[i]} (a byte >= 0x80), or 0
     * when it is invalid: the same table as {@link #firstInvalid}, for scanners that validate as they go.
     */
    static int sequenceLength(byte[] b, int i, int len) {
        int c = b[i] & 0xff;
        if (c < 0xc2 || c > 0xf4) return 0;
        if (c < 0xe0) return i + 1 < len && continuation(b[i + 1]) ? 2 : 0;
        if (c < 0xf0) {
            if (i + 2 >= len) return 0;
            int c1 = b[i + 1] & 0xff;
            int lo = c == 0xe0 ? 0xa0 : 0x80;
            int hi = c == 0xed ? 0x9f : 0xbf;
            return c1 >= lo && c1 <= hi && continuation(b[i + 2]) ? 3 : 0;
        }
        if (i + 3 >= len) return 0;
        int c1 = b[i + 1] & 0xff;
        int lo = c == 0xf0 ? 0x90 : 0x80;
        int hi = c == 0xf4 ? 0x8f : 0xbf;
        return c1 >= lo && c1 <= hi && continuation(b[i + 2]) && continuation(b[i + 3]) ? 4 : 0;
    }

    private static boolean continuation(byte b) {
        return (b & 0xc0) == 0x80;
    }
}
