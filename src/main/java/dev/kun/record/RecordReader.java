package dev.kun.record;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.FileInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Streams {@link InputRecord}s from a list of input files in order: JSONL (one object per line;
 * blank lines are skipped and not counted), a file holding one JSON array of objects (streamed
 * element by element, as the method's seed-instruction sets are stored), or plain text split into
 * records. Gzip is detected by its magic bytes. Bad input (malformed JSON, invalid UTF-8, an
 * over-long line, an empty or unreadable file) comes back as a bad {@link InputRecord}, never as an
 * exception, so the caller decides whether to stop or reject. {@link #position()} says where the
 * next item starts; a reader opened at that position continues with exactly the same items.
 */
public final class RecordReader implements Closeable {

    /**
     * Where reading stands: file index, items already read from that file, and the decompressed byte
     * offset and line number after the last of them.
     */
    public record Position(int file, long items, long offset, long line) {
        public static final Position START = new Position(0, 0, 0, 0);
    }

    /** Reads one array element; the elements after it are not "trailing tokens". */
    private static final ObjectReader ELEMENT = Json.MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final List<InputFile> files;
    private final ReadOptions options;
    private final boolean compact;
    private int fileIndex;
    private Source source;
    private long itemsInFile;
    private long finishedBytes;

    public RecordReader(List<InputFile> files, ReadOptions options) throws IOException {
        this(files, options, Position.START);
    }

    /** Opens at {@code start} (a {@link #position()} of an earlier reader over the same files). */
    public RecordReader(List<InputFile> files, ReadOptions options, Position start) throws IOException {
        this(files, options, start, false);
    }

    /**
     * As {@link #RecordReader(List, ReadOptions, Position)}; with {@code compact}, JSONL records stay as
     * their line's bytes where possible (see {@link KunRecord}), for a stage that only reads a few fields.
     */
    public RecordReader(List<InputFile> files, ReadOptions options, Position start, boolean compact) throws IOException {
        this.files = files;
        this.options = options;
        this.compact = compact;
        this.fileIndex = start.file();
        for (int i = 0; i < Math.min(fileIndex, files.size()); i++) finishedBytes += Math.max(0, files.get(i).size());
        if (fileIndex < files.size()) {
            open(start);
        }
    }

    /** The next item, or null when every file is read. */
    public InputRecord next() throws IOException {
        while (fileIndex < files.size()) {
            if (source == null) open(Position.START);
            InputRecord item = source.next();
            if (item == null && itemsInFile == 0 && source.opened()) {
                item = InputRecord.bad(name(), 0, "empty_file", "empty file (no records)", null);
            }
            if (item != null) {
                itemsInFile++;
                return item;
            }
            finishedBytes += Math.max(0, files.get(fileIndex).size());
            source.close();
            source = null;
            fileIndex++;
            itemsInFile = 0;
        }
        return null;
    }

    /** Where the item after the last one returned starts. */
    public Position position() {
        if (source == null) return new Position(fileIndex, 0, 0, 0);
        return new Position(fileIndex, itemsInFile, source.offset(), source.line());
    }

    /** Raw (possibly compressed) bytes read so far, for progress against {@link #totalBytes()}. */
    public long bytesRead() {
        return finishedBytes + (source == null ? 0 : source.rawBytes());
    }

    /** Sum of the input file sizes, or -1 when one is unknown (stdin). */
    public static long totalBytes(List<InputFile> files) {
        long total = 0;
        for (InputFile f : files) {
            if (f.size() < 0) return -1;
            total += f.size();
        }
        return total;
    }

    private String name() {
        return files.get(fileIndex).name();
    }

    private void open(Position at) throws IOException {
        InputFile file = files.get(fileIndex);
        itemsInFile = at.items();
        CountingInputStream raw;
        if (file.path() != null && java.nio.file.Files.isDirectory(file.path())) {
            source = new FailedSource(at.items() == 0 ? InputRecord.bad(file.name(), 0, "unreadable_file",
                    "directory holds no *.jsonl, *.jsonl.gz, *.json, *.json.gz, *.txt or *.txt.gz files", null) : null);
            return;
        }
        try {
            raw = new CountingInputStream(file.isStdin() ? System.in : new FileInputStream(file.path().toFile()));
        } catch (IOException e) {
            source = new FailedSource(at.items() == 0
                    ? InputRecord.bad(file.name(), 0, "unreadable_file", "cannot read: " + describe(e), null)
                    : null);
            return;
        }
        try {
            source = open(file, raw, at);
        } catch (IOException e) {
            // A corrupt gzip header, or a read error at the very start: one bad item, like a missing file.
            raw.close();
            source = new FailedSource(at.items() == 0
                    ? InputRecord.bad(file.name(), 1, "unreadable_file", "read failed: " + describe(e), null)
                    : null);
        }
    }

    private Source open(InputFile file, CountingInputStream raw, Position at) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
        buffered.mark(2);
        boolean gzip = buffered.read() == 0x1f && buffered.read() == 0x8b;
        buffered.reset();
        InputStream data = gzip ? new BufferedInputStream(new GZIPInputStream(buffered, 1 << 16), 1 << 16) : buffered;
        boolean text = options.format() == InputFormat.TEXT
                || (options.format() == InputFormat.AUTO && file.looksLikeText());
        if (!text && at.offset() == 0 && startsWithArray(data)) {
            Source array = new ArraySource(file.name(), raw, data);
            for (long i = 0; i < at.items(); i++) array.next();
            return array;
        }
        // Line-based sources resume by offset: no re-parsing of what was already consumed.
        data.skipNBytes(at.offset());
        LineReader lines = new LineReader(data, options.maxLineBytes(), at.offset(), at.line());
        return text ? new TextSource(file.name(), raw, lines) : new JsonlSource(file.name(), raw, lines);
    }

    private static boolean startsWithArray(InputStream data) throws IOException {
        int limit = 1 << 16;
        data.mark(limit);
        try {
            for (int i = 0; i < limit; i++) {
                int c = data.read();
                if (c == '[') return true;
                if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != 0xef && c != 0xbb && c != 0xbf) return false;
            }
            return false;
        } finally {
            data.reset();
        }
    }

    static String describe(IOException e) {
        if (e instanceof NoSuchFileException || e instanceof java.io.FileNotFoundException) {
            String m = e.getMessage();
            return m != null && m.contains("(") ? m.substring(m.lastIndexOf('(') + 1).replace(")", "").toLowerCase(Locale.ROOT) : "no such file";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    @Override
    public void close() throws IOException {
        if (source != null) source.close();
        source = null;
    }

    /** One file's items. */
    private abstract static class Source implements Closeable {
        final String name;
        final CountingInputStream raw;

        Source(String name, CountingInputStream raw) {
            this.name = name;
            this.raw = raw;
        }

        abstract InputRecord next() throws IOException;

        abstract long offset();

        abstract long line();

        boolean opened() {
            return true;
        }

        long rawBytes() {
            return raw == null ? 0 : raw.count;
        }

        @Override
        public void close() throws IOException {
            if (raw != null && raw.in() != System.in) raw.close();
        }
    }

    /** A file that could not be opened: one bad item (unless already consumed), then nothing. */
    private static final class FailedSource extends Source {
        private InputRecord pending;

        FailedSource(InputRecord pending) {
            super(null, null);
            this.pending = pending;
        }

        @Override
        InputRecord next() {
            InputRecord r = pending;
            pending = null;
            return r;
        }

        @Override
        boolean opened() {
            return false;
        }

        @Override
        long offset() {
            return 0;
        }

        @Override
        long line() {
            return 0;
        }
    }

    /** Base of line-oriented sources: turns read failures (a truncated gzip) into one bad item that ends the file. */
    private abstract static class LineSource extends Source {
        final LineReader lines;
        private boolean failed;

        LineSource(String name, CountingInputStream raw, LineReader lines) {
            super(name, raw);
            this.lines = lines;
        }

        @Override
        final InputRecord next() {
            if (failed) return null;
            try {
                return read();
            } catch (IOException e) {
                failed = true;
                return InputRecord.bad(name, lines.lineNumber() + 1, "unreadable_file", "read failed: " + describe(e), null);
            }
        }

        abstract InputRecord read() throws IOException;

        @Override
        long offset() {
            return lines.offset();
        }

        @Override
        long line() {
            return lines.lineNumber();
        }

        InputRecord tooLong() {
            return InputRecord.bad(name, lines.lineNumber(), "line_too_long",
                    "line longer than --max-line-bytes (" + lines.maxBytes() + " bytes)", null);
        }

        /** The current line as text, or null when it is not valid UTF-8. */
        String decode() {
            if (Utf8.firstInvalid(lines.bytes(), lines.length()) >= 0) return null;
            return new String(lines.bytes(), 0, lines.length(), StandardCharsets.UTF_8);
        }

        InputRecord invalidUtf8(long line) {
            int at = Utf8.firstInvalid(lines.bytes(), lines.length());
            return InputRecord.bad(name, line, "invalid_utf8", "invalid UTF-8 at byte " + (at + 1) + " of the line",
                    new String(lines.bytes(), 0, lines.length(), StandardCharsets.UTF_8));
        }
    }

    /** One JSON object per line. */
    private final class JsonlSource extends LineSource {
        JsonlSource(String name, CountingInputStream raw, LineReader lines) {
            super(name, raw, lines);
        }

        @Override
        InputRecord read() throws IOException {
            while (lines.next()) {
                if (lines.tooLong()) return tooLong();
                if (lines.blank()) continue;
                long line = lines.lineNumber();
                // An accepted compact line is valid UTF-8 (the scan checks it); anything else is checked below,
                // in the same order as before, so errors are reported exactly as without the compact form.
                CompactObject bytes = compact ? CompactObject.scan(lines.bytes(), lines.length()) : null;
                if (bytes != null) return InputRecord.of(name, line, new KunRecord(bytes));
                if (Utf8.firstInvalid(lines.bytes(), lines.length()) >= 0) return invalidUtf8(line);
                JsonNode node;
                try {
                    node = Json.MAPPER.readTree(lines.bytes(), 0, lines.length());
                } catch (JacksonException e) {
                    return InputRecord.bad(name, line, "malformed_json", "malformed JSON: " + firstLine(e.getOriginalMessage()),
                            new String(lines.bytes(), 0, lines.length(), StandardCharsets.UTF_8));
                }
                if (!(node instanceof ObjectNode object)) {
                    return InputRecord.bad(name, line, "not_an_object",
                            "expected a JSON object, found " + node.getNodeType().name().toLowerCase(Locale.ROOT),
                            new String(lines.bytes(), 0, lines.length(), StandardCharsets.UTF_8));
                }
                return InputRecord.of(name, line, new KunRecord(object));
            }
            return null;
        }
    }

    /** Plain text: one record per paragraph, line or file, in the configured field. */
    private final class TextSource extends LineSource {
        TextSource(String name, CountingInputStream raw, LineReader lines) {
            super(name, raw, lines);
        }

        @Override
        InputRecord read() throws IOException {
            SplitMode split = options.split();
            StringBuilder text = new StringBuilder();
            long start = 0;
            long bytes = 0;
            InputRecord bad = null;
            while (lines.next()) {
                if (lines.tooLong()) {
                    if (split == SplitMode.LINE) return tooLong();
                    if (start == 0) start = lines.lineNumber();
                    if (bad == null) bad = tooLong();
                    continue;
                }
                String s = decode();
                boolean blank = s != null && s.isBlank();
                if (blank && (start == 0 || split != SplitMode.FILE)) {
                    if (start != 0) break; // a blank line ends the paragraph
                    continue;
                }
                if (start == 0) start = lines.lineNumber();
                if (s == null) {
                    if (split == SplitMode.LINE) return invalidUtf8(start);
                    if (bad == null) bad = invalidUtf8(lines.lineNumber());
                    continue;
                }
                if (split == SplitMode.LINE) return record(start, s);
                bytes += lines.length() + 1;
                if (bytes > options.maxLineBytes() && bad == null) {
                    bad = InputRecord.bad(name, start, "line_too_long",
                            "text longer than --max-line-bytes (" + options.maxLineBytes() + " bytes)", null);
                }
                if (bad == null) {
                    if (text.length() > 0) text.append('\n');
                    text.append(s);
                } else {
                    text.setLength(0);
                }
            }
            if (start == 0) return null;
            if (bad != null) return bad;
            return record(start, text.toString().stripTrailing());
        }

        private InputRecord record(long line, String s) {
            ObjectNode node = Json.MAPPER.createObjectNode();
            node.put(options.textField(), s);
            return InputRecord.of(name, line, new KunRecord(node));
        }
    }

    /** A file holding one JSON array of objects, read element by element with the streaming parser. */
    private final class ArraySource extends Source {
        private final JsonParser parser;
        private boolean done;
        private long line;

        ArraySource(String name, CountingInputStream raw, InputStream data) throws IOException {
            super(name, raw);
            this.parser = Json.MAPPER.getFactory().createParser(data);
            parser.nextToken(); // the opening [ the caller peeked at
        }

        @Override
        InputRecord next() throws IOException {
            if (done) return null;
            try {
                JsonToken token = parser.nextToken();
                if (token == null || token == JsonToken.END_ARRAY) {
                    done = true;
                    return null;
                }
                JsonLocation start = parser.currentTokenLocation();
                line = start.getLineNr();
                if (token != JsonToken.START_OBJECT) {
                    // The same words as a JSONL line that is not an object (token.asString() is null for numbers and strings).
                    String found = switch (token) {
                        case START_ARRAY -> "array";
                        case VALUE_STRING -> "string";
                        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
                        case VALUE_TRUE, VALUE_FALSE -> "boolean";
                        case VALUE_NULL -> "null";
                        default -> token.name().toLowerCase(Locale.ROOT);
                    };
                    parser.skipChildren();
                    return InputRecord.bad(name, line, "not_an_object",
                            "array element: expected a JSON object, found " + found, null);
                }
                ObjectNode object = ELEMENT.readTree(parser);
                long size = parser.currentLocation().getByteOffset() - start.getByteOffset();
                if (size > options.maxLineBytes()) {
                    return InputRecord.bad(name, line, "line_too_long",
                            "array element longer than --max-line-bytes (" + options.maxLineBytes() + " bytes)", null);
                }
                return InputRecord.of(name, line, new KunRecord(object));
            } catch (JacksonException e) {
                done = true;
                String m = firstLine(e.getOriginalMessage());
                long at = e.getLocation() == null ? line : e.getLocation().getLineNr();
                boolean utf8 = m.toLowerCase(Locale.ROOT).contains("utf-8") || m.toLowerCase(Locale.ROOT).contains("utf8");
                return InputRecord.bad(name, at, utf8 ? "invalid_utf8" : "malformed_json",
                        (utf8 ? "" : "malformed JSON: ") + m + " (rest of the file not read)", null);
            } catch (IOException e) {
                done = true;
                return InputRecord.bad(name, line, "unreadable_file", "read failed: " + describe(e), null);
            }
        }

        @Override
        long offset() {
            return 0;
        }

        @Override
        long line() {
            return line;
        }

        @Override
        public void close() throws IOException {
            parser.close();
            super.close();
        }
    }

    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Counts raw bytes for progress. */
    static final class CountingInputStream extends FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        InputStream in() {
            return in;
        }

        @Override
        public int read() throws IOException {
            int c = super.read();
            if (c >= 0) count++;
            return c;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) count += n;
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long k = in.skip(n);
            count += k;
            return k;
        }
    }
}
