package dev.kun.record;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
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

    /** The whole object as Jackson writes it; spans below point into it. */
    private final byte[] data;
    /** True while the fields are exactly those scanned, so {@link #data} can be written as it is. */
    private final boolean pristine;
    private final int count;
    private final String[] names;
    /** Name span inside its quotes, or -1 for a field added by {@link #with}. */
    private final int[] nameStart;
    private final int[] nameEnd;
    /** Value span (a string with its quotes), or -1 when the value is {@link #text}[i] set by {@link #with}. */
    private final int[] valueStart;
    private final int[] valueEnd;
    private final byte[] kind;
    /** Decoded string values, filled on first read; the value itself for a field set by {@link #with}. */
    private final String[] text;

    private CompactObject(byte[] data, boolean pristine, int count, String[] names, int[] nameStart, int[] nameEnd,
            int[] valueStart, int[] valueEnd, byte[] kind, String[] text) {
        this.data = data;
        this.pristine = pristine;
        this.count = count;
        this.names = names;
        this.nameStart = nameStart;
        this.nameEnd = nameEnd;
        this.valueStart = valueStart;
        this.valueEnd = valueEnd;
        this.kind = kind;
        this.text = text;
    }

    /** The object on {@code line[0, length)}, or null when Jackson must read it (see the class comment). */
    static CompactObject scan(byte[] line, int length) {
        return new Scanner(line, length).object();
    }

    int indexOf(String field) {
        for (int i = 0; i < count; i++) {
            if (names[i].equals(field)) return i;
        }
        return -1;
    }

    boolean has(String field) {
        return indexOf(field) >= 0;
    }

    /** The field's text, or null when absent, null or not a string (as {@code JsonNode.isTextual}). */
    String string(String field) {
        int i = indexOf(field);
        if (i < 0 || kind[i] != STRING) return null;
        String s = text[i];
        if (s == null) {
            s = decode(data, valueStart[i] + 1, valueEnd[i] - 1);
            text[i] = s;
        }
        return s;
    }

    /** A copy with {@code field} set to {@code value}: in place when present, else last, as {@code ObjectNode.put}. */
    CompactObject with(String field, String value) {
        int i = indexOf(field);
        int n = i < 0 ? count + 1 : count;
        String[] names2 = Arrays.copyOf(names, n);
        int[] nameStart2 = Arrays.copyOf(nameStart, n);
        int[] nameEnd2 = Arrays.copyOf(nameEnd, n);
        int[] valueStart2 = Arrays.copyOf(valueStart, n);
        int[] valueEnd2 = Arrays.copyOf(valueEnd, n);
        byte[] kind2 = Arrays.copyOf(kind, n);
        String[] text2 = Arrays.copyOf(text, n);
        if (i < 0) {
            i = count;
            names2[i] = field;
            nameStart2[i] = -1;
            nameEnd2[i] = -1;
        }
        valueStart2[i] = -1;
        valueEnd2[i] = -1;
        kind2[i] = value == null ? NULL : STRING;
        text2[i] = value;
        return new CompactObject(data, false, n, names2, nameStart2, nameEnd2, valueStart2, valueEnd2, kind2, text2);
    }

    /** A copy without {@code field}; this object when it has no such field. */
    CompactObject without(String field) {
        int i = indexOf(field);
        if (i < 0) return this;
        return new CompactObject(data, false, count - 1, remove(names, i, count), remove(nameStart, i, count),
                remove(nameEnd, i, count), remove(valueStart, i, count), remove(valueEnd, i, count),
                remove(kind, i, count), remove(text, i, count));
    }

    /**
     * The first field whose text holds a lone surrogate, or null. Scanned values cannot (valid UTF-8, no
     * {@code \\u} escapes), so only strings set by {@link #with} are checked.
     */
    String loneSurrogateField() {
        if (pristine) return null;
        for (int i = 0; i < count; i++) {
            if (nameStart[i] < 0 && !Json.isValidUtf16(names[i])) return names[i];
            if (valueStart[i] < 0 && text[i] != null && !Json.isValidUtf16(text[i])) return names[i];
        }
        return null;
    }

    /** Writes the object as {@link Json#MAPPER} would, without the line end. */
    void writeTo(OutputStream out) throws IOException {
        if (pristine) {
            out.write(data);
            return;
        }
        out.write('{');
        for (int i = 0; i < count; i++) {
            if (i > 0) out.write(',');
            if (nameStart[i] >= 0) {
                out.write(data, nameStart[i] - 1, nameEnd[i] - nameStart[i] + 2);
            } else {
                writeString(out, names[i]);
            }
            out.write(':');
            if (valueStart[i] >= 0) {
                out.write(data, valueStart[i], valueEnd[i] - valueStart[i]);
            } else if (text[i] == null) {
                out.write(NULL_BYTES);
            } else {
                writeString(out, text[i]);
            }
        }
        out.write('}');
    }

    /** The same object as a Jackson tree (for code that needs one: rare on the filter's path). */
    ObjectNode toTree() {
        try {
            if (pristine) return (ObjectNode) Json.MAPPER.readTree(data);
            ObjectNode node = Json.MAPPER.createObjectNode();
            for (int i = 0; i < count; i++) {
                JsonNode value = valueStart[i] >= 0
                        ? Json.MAPPER.readTree(data, valueStart[i], valueEnd[i] - valueStart[i])
                        : text[i] == null ? node.nullNode() : node.textNode(text[i]);
                node.set(names[i], value);
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

    /** The text of a scanned string's bytes (inside the quotes); its only escapes decode to one ASCII byte. */
    static String decode(byte[] b, int from, int to) {
        int slash = from;
        while (slash < to && b[slash] != '\\') slash++;
        if (slash == to) return new String(b, from, to - from, StandardCharsets.UTF_8);
        byte[] out = new byte[to - from];
        int n = slash - from;
        System.arraycopy(b, from, out, 0, n);
        for (int i = slash; i < to; i++) {
            byte c = b[i];
            if (c == '\\') {
                c = switch (b[++i]) {
                    case 'b' -> '\b';
                    case 't' -> '\t';
                    case 'n' -> '\n';
                    case 'f' -> '\f';
                    case 'r' -> '\r';
                    default -> b[i]; // '"' or '\\'
                };
            }
            out[n++] = c;
        }
        return new String(out, 0, n, StandardCharsets.UTF_8);
    }

    private static String[] remove(String[] a, int i, int n) {
        String[] r = Arrays.copyOf(a, n - 1);
        System.arraycopy(a, i + 1, r, i, n - i - 1);
        return r;
    }

    private static int[] remove(int[] a, int i, int n) {
        int[] r = Arrays.copyOf(a, n - 1);
        System.arraycopy(a, i + 1, r, i, n - i - 1);
        return r;
    }

    private static byte[] remove(byte[] a, int i, int n) {
        byte[] r = Arrays.copyOf(a, n - 1);
        System.arraycopy(a, i + 1, r, i, n - i - 1);
        return r;
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
        private int count;
        private String[] names = new String[8];
        private int[] nameStart = new int[8];
        private int[] nameEnd = new int[8];
        private int[] valueStart = new int[8];
        private int[] valueEnd = new int[8];
        private byte[] kind = new byte[8];

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
            byte[] data = out.length == outLength ? out : Arrays.copyOf(out, outLength);
            return new CompactObject(data, true, count, names, nameStart, nameEnd, valueStart, valueEnd, kind,
                    new String[names.length]);
        }

        /** At '{': the object, copied; at the top level its fields are recorded. */
        private boolean object(int depth, boolean top) {
            if (depth > MAX_DEPTH) return false;
            pos++;
            out[outLength++] = '{';
            skipWhitespace();
            if (pos < length && in[pos] == '}') {
                pos++;
                out[outLength++] = '}';
                return true;
            }
            int[] seen = top ? null : new int[8]; // nested names as (start, end) pairs, for duplicates
            int seenCount = 0;
            while (true) {
                skipWhitespace();
                if (pos >= length || in[pos] != '"') return false;
                int start = outLength;
                if (!string()) return false;
                int end = outLength;
                if (end - start - 2 > MAX_NAME_BYTES) return false;
                if (top) {
                    if (count == MAX_FIELDS || duplicate(nameStart, nameEnd, count, start + 1, end - 1)) return false;
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
                if (top) field(start + 1, end - 1, valueFrom, outLength);
                skipWhitespace();
                if (pos >= length) return false;
                byte c = in[pos++];
                out[outLength++] = c;
                if (c == '}') return true;
                if (c != ',') return false;
            }
        }

        private void field(int nameFrom, int nameTo, int valueFrom, int valueTo) {
            if (count == names.length) {
                int n = count * 2;
                names = Arrays.copyOf(names, n);
                nameStart = Arrays.copyOf(nameStart, n);
                nameEnd = Arrays.copyOf(nameEnd, n);
                valueStart = Arrays.copyOf(valueStart, n);
                valueEnd = Arrays.copyOf(valueEnd, n);
                kind = Arrays.copyOf(kind, n);
            }
            names[count] = decode(out, nameFrom, nameTo);
            nameStart[count] = nameFrom;
            nameEnd[count] = nameTo;
            valueStart[count] = valueFrom;
            valueEnd[count] = valueTo;
            byte first = out[valueFrom];
            kind[count] = first == '"' ? STRING : first == 'n' ? NULL : OTHER;
            count++;
        }

        /** Canonical bytes are one-to-one with text, so equal names have equal bytes. */
        private boolean duplicate(int[] starts, int[] ends, int n, int from, int to) {
            for (int i = 0; i < n; i++) {
                if (Arrays.equals(out, starts[i], ends[i], out, from, to)) return true;
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

        private boolean array(int depth) {
            if (depth > MAX_DEPTH) return false;
            pos++;
            out[outLength++] = '[';
            skipWhitespace();
            if (pos < length && in[pos] == ']') {
                pos++;
                out[outLength++] = ']';
                return true;
            }
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
            while (p < length) {
                byte b = in[p];
                if (b < 0) {
                    // Non-ASCII is validated here, so an accepted line needs no separate UTF-8 pass.
                    int n = Utf8.sequenceLength(in, p, length);
                    if (n == 0) return false;
                    p += n;
                } else if (b == '"') {
                    p++;
                    System.arraycopy(in, start, out, outLength, p - start);
                    outLength += p - start;
                    pos = p;
                    return true;
                } else if (b == '\\') {
                    if (p + 1 >= length) return false;
                    byte e = in[p + 1];
                    if (e != '"' && e != '\\' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') return false;
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
