package dev.kun.record;

/** Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF), as RFC 3629 defines it. */
public final class Utf8 {
    private Utf8() {}

    /** Index of the first byte of the first invalid sequence in {@code b[0, len)}, or -1 when all valid. */
    public static int firstInvalid(byte[] b, int len) {
        int i = 0;
        while (i < len) {
            int c = b[i];
            if (c >= 0) {
                i++;
                continue;
            }
            c &= 0xff;
            int n;
            int min;
            if (c >= 0xc2 && c <= 0xdf) {
                n = 1;
                min = 0x80;
            } else if (c >= 0xe0 && c <= 0xef) {
                n = 2;
                min = 0x800;
            } else if (c >= 0xf0 && c <= 0xf4) {
                n = 3;
                min = 0x10000;
            } else {
                return i;
            }
            int cp = c & (0x3f >> n);
            for (int k = 1; k <= n; k++) {
                if (i + k >= len) return i;
                int cc = b[i + k] & 0xff;
                if ((cc & 0xc0) != 0x80) return i;
                cp = (cp << 6) | (cc & 0x3f);
            }
            if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
            i += n + 1;
        }
        return -1;
    }
}
