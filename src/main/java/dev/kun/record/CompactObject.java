package dev.kun.record;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A JSON object held as the bytes {@link Json#MAPPER} would write for it, with its top-level fields as
 * spans of those bytes. A stage that only reads and replaces a few string fields (the filter) then
 * decodes just those and copies every other field through as bytes, instead of building a Jackson tree
 * per record and serialising it again.
 *
 * <p>{@link #scan} accepts a line only when it is certain of two things: Jackson would read the line
 * without error, and the bytes kept here are exactly what Jackson writes for the tree it reads (compact,
 * no whitespace; strings without {@code \\u} or {@code \\/} escapes, since Jackson writes those
 * characters differently; numbers already in the form Jackson writes; no duplicate names, which
 * Jackson merges). Anything else returns null, and the caller takes the Jackson path, which gives the
 * same result or the same error as before. Outside strings only ASCII is accepted and inside them
 * UTF-8 is validated as {@link Utf8#firstInvalid} does, so an accepted line is valid UTF-8. Immutable,
 * except for the cache of decoded strings.
 */
final class CompactObject {
    static final byte STRING = 1;
    static final byte NULL = 2;
    static final byte OTHER = 3;

    /** Deeper nesting, longer names or numbers, more names: leave them to Jackson and its limits. */
    private static final int MAX_DEPTH = 64;
    private static final int MAX_NAME_BYTES = 1000;
    private static final int MAX_NUMBER_BYTES = 100;
    private static final int MAX_FIELDS = 512;

    /** The whole object as Jackson writes it, in {@code data[0, dataLength)}; scanned fields point into it. */
    private final byte[] data;
    private final int dataLength;
    /** True while the fields are exactly those scanned, so {@link #data} can be written as it is. */
    private final boolean pristine;
    private final Field[] fields;

    /**
     * One top-level field. A scanned one has its name and value as spans of {@link #data} (the value's
     * text decoded on first read); one set by {@link #with} has spans of -1 and its value in {@code text}.
     */
    private static final class Field {
        final String name;
        final int nameStart; // inside the quotes
        final int nameEnd;
        final int valueStart; // a string value with its quotes
        final int valueEnd;
        final byte kind;
        /** The scanned string value holds a backslash escape, so decoding cannot copy its bytes as they are. */
        final boolean escaped;
        String text;
        /** The scanned string value's unescaped bytes, made on first read. */
        Utf8Text utf8;

        Field(String name, int nameStart, int nameEnd, int valueStart, int valueEnd, byte kind, boolean escaped, String text) {
            this.name = name;
            this.nameStart = nameStart;
            this.nameEnd = nameEnd;
            this.valueStart = valueStart;
            this.valueEnd = valueEnd;
            this.kind = kind;
            this.escaped = escaped;
            this.text = text;
        }

        Field withValue(String value) {
            return new Field(name, nameStart, nameEnd, -1, -1, value == null ? NULL : STRING, false, value);
        }
    }

    private CompactObject(byte[] data, int dataLength, boolean pristine, Field[] fields) {
        this.data = data;
        this.dataLength = dataLength;
        this.pristine = pristine;
        this.fields = fields;
    }

    /** The object on {@code line[0, length)}, or null when Jackson must read it (see the class comment). */
    static CompactObject scan(byte[] line, int length) {
        return new Scanner(line, length).object();
    }

    private int indexOf(String field) {
        Field[] f = fields;
        for (int i = 0; i < f.length; i++) {
            if (f[i].name.equals(field)) return i;
        }
        return -1;
    }

    boolean has(String field) {
        return indexOf(field) >= 0;
    }

    /** The field's text, or null when absent, null or not a string (as {@code JsonNode.isTextual}). */
    String string(String field) {
        int i = indexOf(field);
        if (i < 0) return null;
        Field f = fields[i];
        if (f.kind != STRING) return null;
        String s = f.text;
        if (s == null) {
            s = decode(data, f.valueStart + 1, f.valueEnd - 1, f.escaped);
            f.text = s;
        }
        return s;
    }

    /**
     * The text of a scanned string field as UTF-8 (always valid: the scan checked it), or null when the
     * field is absent, not a string, or was set by {@link #with} (its text is only a {@code String}).
     */
    Utf8Text utf8(String field) {
        int i = indexOf(field);
        if (i < 0) return null;
        Field f = fields[i];
        if (f.kind != STRING || f.valueStart < 0) return null;
        Utf8Text u = f.utf8;
        if (u == null) {
            int from = f.valueStart + 1;
            int to = f.valueEnd - 1;
            if (!f.escaped) {
                u = Utf8Text.ofValid(data, from, to);
            } else {
                byte[] out = new byte[to - from];
                u = Utf8Text.ofValid(out, 0, unescape(data, from, to, out));
            }
            f.utf8 = u;
        }
        return u;
    }

    /** A copy with {@code field} set to {@code value}: in place when present, else last, as {@code ObjectNode.put}. */
    CompactObject with(String field, String value) {
        int i = indexOf(field);
        Field[] copy;
        if (i >= 0) {
            copy = fields.clone();
            copy[i] = fields[i].withValue(value);
        } else {
            copy = Arrays.copyOf(fields, fields.length + 1);
            copy[fields.length] = new Field(field, -1, -1, -1, -1, value == null ? NULL : STRING, false, value);
        }
        return new CompactObject(data, dataLength, false, copy);
    }

    /** A copy without {@code field}; this object when it has no such field. */
    CompactObject without(String field) {
        int i = indexOf(field);
        if (i < 0) return this;
        Field[] less = new Field[fields.length - 1];
        System.arraycopy(fields, 0, less, 0, i);
        System.arraycopy(fields, i + 1, less, i, less.length - i);
        return new CompactObject(data, dataLength, false, less);
    }

    /**
     * The first field whose text holds a lone surrogate, or null. Scanned values cannot (valid UTF-8, no
     * {@code \\u} escapes), so only names and strings set by {@link #with} are checked.
     */
    String loneSurrogateField() {
        if (pristine) return null;
        for (Field f : fields) {
            if (f.nameStart < 0 && !Json.isValidUtf16(f.name)) return f.name;
            if (f.valueStart < 0 && f.text != null && !Json.isValidUtf16(f.text)) return f.name;
        }
        return null;
    }

    /** Writes the object as {@link Json#MAPPER} would, without the line end. */
    void writeTo(OutputStream out) throws IOException {
        if (pristine) {
            out.write(data, 0, dataLength);
            return;
        }
        out.write('{');
        for (int i = 0; i < fields.length; i++) {
            Field f = fields[i];
            if (i > 0) out.write(',');
            if (f.nameStart >= 0) {
                out.write(data, f.nameStart - 1, f.nameEnd - f.nameStart + 2);
            } else {
                writeString(out, f.name);
            }
            out.write(':');
            if (f.valueStart >= 0) {
                out.write(data, f.valueStart, f.valueEnd - f.valueStart);
            } else if (f.text == null) {
                out.write(NULL_BYTES);
            } else {
                writeString(out, f.text);
            }
        }
        out.write('}');
    }

    /** The same object as a Jackson tree (for code that needs one: rare on the filter's path). */
    ObjectNode toTree() {
        try {
            if (pristine) return (ObjectNode) Json.MAPPER.readTree(data, 0, dataLength);
            ObjectNode node = Json.MAPPER.createObjectNode();
            for (Field f : fields) {
                JsonNode value = f.valueStart >= 0
                        ? Json.MAPPER.readTree(data, f.valueStart, f.valueEnd - f.valueStart)
                        : f.text == null ? node.nullNode() : node.textNode(f.text);
                node.set(f.name, value);
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("compact record no longer parses: a bug", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final byte[] NULL_BYTES = {'n', 'u', 'l', 'l'};
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    /**
     * Writes {@code s} as a JSON string exactly as Jackson's UTF-8 generator does with our settings:
     * {@code "} and {@code \} escaped, control characters as {@code \b \t \n \f \r} or {@code \\u00XX}
     * (upper-case hex), everything else as UTF-8 (a surrogate pair as its 4-byte form).
     */
    static void writeString(OutputStream out, String s) throws IOException {
        out.write('"');
        int from = 0;
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            if (from < i) out.write(s.substring(from, i).getBytes(StandardCharsets.UTF_8));
            from = i + 1;
            out.write('\\');
            switch (c) {
                case '"', '\\' -> out.write(c);
                case '\b' -> out.write('b');
                case '\t' -> out.write('t');
                case '\n' -> out.write('n');
                case '\f' -> out.write('f');
                case '\r' -> out.write('r');
                default -> {
                    out.write('u');
                    out.write('0');
                    out.write('0');
                    out.write(HEX[c >> 4]);
                    out.write(HEX[c & 0xf]);
                }
            }
        }
        if (from == 0) {
            out.write(s.getBytes(StandardCharsets.UTF_8));
        } else if (from < n) {
            out.write(s.substring(from).getBytes(StandardCharsets.UTF_8));
        }
        out.write('"');
    }

    /**
     * The text of a scanned string's bytes (inside the quotes); {@code escaped} says whether it holds a
     * backslash. Its only escapes decode to one ASCII byte each.
     */
    static String decode(byte[] b, int from, int to, boolean escaped) {
        if (!escaped) return new String(b, from, to - from, StandardCharsets.UTF_8);
        byte[] out = new byte[to - from];
        return new String(out, 0, unescape(b, from, to, out), StandardCharsets.UTF_8);
    }

    /**
     * Copies a scanned string's bytes {@code b[from, to)} into {@code out} with its escapes resolved (each
     * decodes to one ASCII byte), and returns the length written. The runs between escapes are copied
     * whole: escapes are few, mostly the line breaks of multi-paragraph text.
     */
    static int unescape(byte[] b, int from, int to, byte[] out) {
        int n = 0;
        int run = from;
        for (int i = from; i < to; i++) {
            if (b[i] != '\\') continue;
            System.arraycopy(b, run, out, n, i - run);
            n += i - run;
            out[n++] = switch (b[++i]) {
                case 'b' -> '\b';
                case 't' -> '\t';
                case 'n' -> '\n';
                case 'f' -> '\f';
                case 'r' -> '\r';
                default -> b[i]; // '"' or '\\'
            };
            run = i + 1;
        }
        System.arraycopy(b, run, out, n, to - run);
        return n + to - run;
    }

    /**
     * One pass over a line: checks it against JSON's grammar as Jackson applies it and copies it without
     * the whitespace between tokens. Any doubt returns false, never an error message: Jackson has those.
     */
    private static final class Scanner {
        private final byte[] in;
        private final int length;
        private final byte[] out;
        private int pos;
        private int outLength;
        private Field[] fields = new Field[8];
        private int count;
        /** Whether the last string scanned held a backslash escape. */
        private boolean escaped;

        Scanner(byte[] in, int length) {
            this.in = in;
            this.length = length;
            this.out = new byte[length]; // compacting never grows
        }

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
            byte kind = first == '"' ? STRING : first == 'n' ? NULL : OTHER;
            fields[count++] = new Field(decode(out, nameFrom, nameTo, nameEscaped), nameFrom, nameTo, valueFrom, valueTo,
                    kind, kind == STRING && escaped, null);
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
                case 'n' -> literal(NULL_BYTES);
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
    }
}
