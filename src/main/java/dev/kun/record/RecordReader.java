package dev.kun.record;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * Streams {@link InputRecord}s from a list of input files in order, choosing for each file the
 * {@link RecordSource} of its format: {@link JsonlSource} (one object per line; blank lines are skipped
 * and not counted), {@link JsonArraySource} (a file holding one JSON array of objects, streamed element
 * by element, as the method's seed-instruction sets are stored), {@link TextSource} (plain text split
 * into records), or {@link UnreadableSource} for a file that cannot be opened. Gzip is detected by its
 * magic bytes and decompressed under any of them. Bad input (malformed JSON, invalid UTF-8, an
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

    private final List<InputFile> files;
    private final ReadOptions options;
    private final boolean compact;
    private int fileIndex;
    private RecordSource source;
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
            if (item == null && itemsInFile == 0 && source.opened() && !options.emptyFilesAllowed()) {
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
        // A file whose reading failed has given all it will (its last item says so): the next starts after it,
        // so a run resumed here does not read up to the failure again and report it twice.
        if (source.failed()) return new Position(fileIndex + 1, 0, 0, 0);
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
            source = new UnreadableSource(at.items() == 0 ? InputRecord.bad(file.name(), 0, "unreadable_file",
                    "directory holds no *.jsonl, *.jsonl.gz, *.json, *.json.gz, *.txt or *.txt.gz files", null) : null);
            return;
        }
        try {
            raw = new CountingInputStream(file.isStdin() ? System.in : new FileInputStream(file.path().toFile()));
        } catch (IOException e) {
            source = new UnreadableSource(at.items() == 0
                    ? InputRecord.bad(file.name(), 0, "unreadable_file", "cannot read: " + describe(e), null)
                    : null);
            return;
        }
        try {
            source = open(file, raw, at);
        } catch (IOException e) {
            // A corrupt gzip header, or a read error at the very start: one bad item, like a missing file.
            raw.close();
            source = new UnreadableSource(at.items() == 0
                    ? InputRecord.bad(file.name(), 1, "unreadable_file", "read failed: " + describe(e), null)
                    : null);
        }
    }

    private RecordSource open(InputFile file, CountingInputStream raw, Position at) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(raw, 1 << 16);
        buffered.mark(2);
        boolean gzip = buffered.read() == 0x1f && buffered.read() == 0x8b;
        buffered.reset();
        InputStream data = gzip
                ? new BufferedInputStream(new NoReadAheadInputStream(new GZIPInputStream(buffered, 1 << 16)), 1 << 16)
                : buffered;
        boolean text = options.format() == InputFormat.TEXT
                || (options.format() == InputFormat.AUTO && file.looksLikeText());
        if (!text && at.offset() == 0 && startsWithArray(data)) {
            RecordSource array = new JsonArraySource(file.name(), raw, data, options.maxLineBytes());
            for (long i = 0; i < at.items(); i++) array.next();
            return array;
        }
        // Line-based sources resume by offset: no re-parsing of what was already consumed.
        data.skipNBytes(at.offset());
        LineReader lines = new LineReader(data, options.maxLineBytes(), at.offset(), at.line());
        return text ? new TextSource(file.name(), raw, lines, options) : new JsonlSource(file.name(), raw, lines, compact);
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

    /** A read failure in a few words: "no such file", "permission denied", the exception's message. */
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

    /** Jackson's messages run over several lines; errors here are one line. */
    static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
