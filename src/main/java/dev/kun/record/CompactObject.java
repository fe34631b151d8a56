package dev.kun.record;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
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
    static final class Field {
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

    CompactObject(byte[] data, int dataLength, boolean pristine, Field[] fields) {
        this.data = data;
        this.dataLength = dataLength;
        this.pristine = pristine;
        this.fields = fields;
    }

    /** The object on {@code line[0, length)}, or null when Jackson must read it (see the class comment). */
    static CompactObject scan(byte[] line, int length) {
        return new CompactScanner(line, length).object();
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
}
