package dev.kun.record;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The scan behind {@link CompactObject#scan}: one pass over a line that checks it against JSON's grammar
 * as Jackson applies it and copies it without the whitespace between tokens, recording the top-level
 * fields. Any doubt makes {@link #object} return null, never an error message: Jackson has those.
 */
final class CompactScanner {
    /** Deeper nesting, longer names or numbers, more names: leave them to Jackson and its limits. */
    private static final int MAX_DEPTH = 64;
    private static final int MAX_NAME_BYTES = 1000;
    private static final int MAX_NUMBER_BYTES = 100;
    private static final int MAX_FIELDS = 512;

    private final byte[] in;
    private final int length;
    private final byte[] out;
    private int pos;
    private int outLength;
    private CompactObject.Field[] fields = new CompactObject.Field[8];
    private int count;
    /** Whether the last string scanned held a backslash escape. */
    private boolean escaped;

    CompactScanner(byte[] in, int length) {
        this.in = in;
        this.length = length;
        this.out = new byte[length]; // compacting never grows
    }

    /** The object on the line, or null when Jackson must read it (see {@link CompactObject}). */
    CompactObject object() {
        skipWhitespace();
        if (pos >= length || in[pos] != '{' || !object(0, true)) return null;
        skipWhitespace();
        if (pos != length) return null; // trailing tokens: Jackson's error
        // out may be longer than the object (whitespace dropped); a copy would only trim it.
        return new CompactObject(out, outLength, true, Arrays.copyOf(fields, count));
    }

    /** At '{': the object, copied; at the top level its fields are recorded. */
    private boolean object(int depth, boolean top) {
        if (depth > MAX_DEPTH) return false;
        if (openIsEmpty((byte) '{', (byte) '}')) return true;
        int[] seen = top ? null : new int[8]; // nested names as (start, end) pairs, for duplicates
        int seenCount = 0;
        while (true) {
            skipWhitespace();
            if (pos >= length || in[pos] != '"') return false;
            int start = outLength;
            if (!string()) return false;
            int end = outLength;
            boolean nameEscaped = escaped;
            if (end - start - 2 > MAX_NAME_BYTES) return false;
            if (top) {
                if (count == MAX_FIELDS || duplicate(start + 1, end - 1)) return false;
            } else {
                if (seenCount == MAX_FIELDS || duplicateNested(seen, seenCount, start + 1, end - 1)) return false;
                if (2 * seenCount + 2 > seen.length) seen = Arrays.copyOf(seen, seen.length * 2);
                seen[2 * seenCount] = start + 1;
                seen[2 * seenCount + 1] = end - 1;
                seenCount++;
            }
            skipWhitespace();
            if (pos >= length || in[pos] != ':') return false;
            pos++;
            out[outLength++] = ':';
            skipWhitespace();
            int valueFrom = outLength;
            if (!value(depth)) return false;
            if (top) field(start + 1, end - 1, nameEscaped, valueFrom, outLength);
            skipWhitespace();
            if (pos >= length) return false;
            byte c = in[pos++];
            out[outLength++] = c;
            if (c == '}') return true;
            if (c != ',') return false;
        }
    }

    /** Records a top-level field, just after its value was scanned ({@link #escaped} is the value's). */
    private void field(int nameFrom, int nameTo, boolean nameEscaped, int valueFrom, int valueTo) {
        if (count == fields.length) fields = Arrays.copyOf(fields, count * 2);
        byte first = out[valueFrom];
        byte kind = first == '"' ? CompactObject.STRING : first == 'n' ? CompactObject.NULL : CompactObject.OTHER;
        fields[count++] = new CompactObject.Field(CompactObject.decode(out, nameFrom, nameTo, nameEscaped), nameFrom, nameTo, valueFrom, valueTo,
                kind, kind == CompactObject.STRING && escaped, null);
    }

    /** Canonical bytes are one-to-one with text, so equal names have equal bytes. */
    private boolean duplicate(int from, int to) {
        for (int i = 0; i < count; i++) {
            if (Arrays.equals(out, fields[i].nameStart, fields[i].nameEnd, out, from, to)) return true;
        }
        return false;
    }

    private boolean duplicateNested(int[] seen, int n, int from, int to) {
        for (int i = 0; i < n; i++) {
            if (Arrays.equals(out, seen[2 * i], seen[2 * i + 1], out, from, to)) return true;
        }
        return false;
    }

    private boolean value(int depth) {
        if (pos >= length) return false;
        byte c = in[pos];
        return switch (c) {
            case '"' -> string();
            case '{' -> object(depth + 1, false);
            case '[' -> array(depth + 1);
            case 't' -> literal(TRUE);
            case 'f' -> literal(FALSE);
            case 'n' -> literal(NULL);
            default -> (c == '-' || (c >= '0' && c <= '9')) && number();
        };
    }

    /**
     * At an object's or array's opening byte: copies it and skips whitespace; when the container is
     * empty, copies its closing byte too and returns true.
     */
    private boolean openIsEmpty(byte open, byte close) {
        pos++;
        out[outLength++] = open;
        skipWhitespace();
        if (pos < length && in[pos] == close) {
            pos++;
            out[outLength++] = close;
            return true;
        }
        return false;
    }

    private boolean array(int depth) {
        if (depth > MAX_DEPTH) return false;
        if (openIsEmpty((byte) '[', (byte) ']')) return true;
        while (true) {
            skipWhitespace();
            if (!value(depth)) return false;
            skipWhitespace();
            if (pos >= length) return false;
            byte c = in[pos++];
            out[outLength++] = c;
            if (c == ']') return true;
            if (c != ',') return false;
        }
    }

    /**
     * At '"': copies the string when Jackson would write the same bytes back: escapes only
     * {@code \" \\ \b \f \n \r \t}, no raw control character (which Jackson refuses), valid UTF-8.
     */
    private boolean string() {
        byte[] in = this.in;
        int length = this.length;
        int start = pos;
        int p = start + 1;
        boolean escapes = false;
        while (p < length) {
            byte b = in[p];
            if (b < 0) {
                // Non-ASCII is validated here, so an accepted line needs no separate UTF-8 pass. Most
                // of it is 3-byte text (CJK) with leads E1..EC, EE, EF, whose second byte has no
                // special range: two continuation bytes decide; every other lead takes Utf8's table.
                int c = b & 0xff;
                if (c >= 0xe1 && c <= 0xef && c != 0xed) {
                    int from = p;
                    p = skipPlainPairs(in, p, length);
                    if (p != from) continue;
                    if (p + 2 >= length || (in[p + 1] & 0xc0) != 0x80 || (in[p + 2] & 0xc0) != 0x80) return false;
                    p += 3;
                } else {
                    int n = Utf8.sequenceLength(in, p, length);
                    if (n == 0) return false;
                    p += n;
                }
            } else if (b == '"') {
                p++;
                System.arraycopy(in, start, out, outLength, p - start);
                outLength += p - start;
                pos = p;
                escaped = escapes;
                return true;
            } else if (b == '\\') {
                if (p + 1 >= length) return false;
                byte e = in[p + 1];
                if (e != '"' && e != '\\' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') return false;
                escapes = true;
                p += 2;
            } else if (b < 0x20) {
                return false;
            } else {
                p++;
            }
        }
        return false;
    }

    /**
     * Past the run of plain 3-byte characters at {@code p}, two at a time: one 8-byte read checks both
     * leads (1110xxxx, not E0 or ED, whose second bytes have narrower ranges) and all four continuation
     * bytes (10xxxxxx). Returns {@code p} unchanged when the next two are not both plain; the byte
     * checks take over from wherever it stops. CJK text is mostly such runs.
     */
    private static int skipPlainPairs(byte[] in, int p, int length) {
        while (p <= length - 8) {
            long w = (long) LONGS.get(in, p);
            if ((w & 0xc0c0f0c0c0f0L) != 0x8080e08080e0L) break;
            int lead0 = (int) w & 0x0f;
            int lead1 = (int) (w >>> 24) & 0x0f;
            if (lead0 == 0 || lead0 == 0x0d || lead1 == 0 || lead1 == 0x0d) break;
            p += 6;
        }
        return p;
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * A number in the form Jackson writes back: an integer other than -0, or a decimal whose
     * BigDecimal text is itself (Jackson reads decimals as exact BigDecimals and writes their
     * {@code toString()}, so 1e5 comes back as 1E+5).
     */
    private boolean number() {
        int start = pos;
        if (in[pos] == '-') pos++;
        if (pos < length && in[pos] == '0') {
            pos++;
        } else if (pos < length && in[pos] >= '1' && in[pos] <= '9') {
            while (pos < length && isDigit(in[pos])) pos++;
        } else {
            return false;
        }
        boolean integer = true;
        if (pos < length && in[pos] == '.') {
            pos++;
            if (!digits()) return false;
            integer = false;
        }
        if (pos < length && (in[pos] == 'e' || in[pos] == 'E')) {
            pos++;
            if (pos < length && (in[pos] == '+' || in[pos] == '-')) pos++;
            if (!digits()) return false;
            integer = false;
        }
        int n = pos - start;
        if (n > MAX_NUMBER_BYTES || !delimiterFollows()) return false;
        String token = new String(in, start, n, StandardCharsets.US_ASCII);
        if (integer ? token.equals("-0") : !new BigDecimal(token).toString().equals(token)) return false;
        System.arraycopy(in, start, out, outLength, n);
        outLength += n;
        return true;
    }

    private boolean digits() {
        int start = pos;
        while (pos < length && isDigit(in[pos])) pos++;
        return pos > start;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    private boolean literal(byte[] word) {
        if (length - pos < word.length || !Arrays.equals(in, pos, pos + word.length, word, 0, word.length)) {
            return false;
        }
        pos += word.length;
        if (!delimiterFollows()) return false;
        System.arraycopy(word, 0, out, outLength, word.length);
        outLength += word.length;
        return true;
    }

    /** Jackson reads "truex" or "12a" as one bad token; only a separator may end a literal or number. */
    private boolean delimiterFollows() {
        if (pos >= length) return true;
        byte c = in[pos];
        return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    /** JSON's whitespace, as Jackson's parser skips it; anything else below 0x20 is its error. */
    private void skipWhitespace() {
        while (pos < length) {
            byte c = in[pos];
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return;
            pos++;
        }
    }

    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
    private static final byte[] NULL = {'n', 'u', 'l', 'l'};
}
