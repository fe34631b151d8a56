package dev.kun.record;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Base of the line-oriented sources (JSONL, plain text): they resume by byte offset, and a read failure
 * (a truncated gzip) becomes one bad item that ends the file.
 */
abstract class LineSource implements RecordSource {
    final String name;
    final CountingInputStream raw;
    final LineReader lines;
    private boolean failed;

    LineSource(String name, CountingInputStream raw, LineReader lines) {
        this.name = name;
        this.raw = raw;
        this.lines = lines;
    }

    @Override
    public final InputRecord next() {
        if (failed) return null;
        try {
            return read();
        } catch (IOException e) {
            failed = true;
            // The line the failure cut short (a gzip file cut mid-line) goes with the error, not lost.
            String fragment = lines.length() > 0 && !lines.tooLong()
                    ? new String(lines.bytes(), 0, lines.length(), StandardCharsets.UTF_8) : null;
            return InputRecord.bad(name, lines.lineNumber() + 1, "unreadable_file", "read failed: " + RecordReader.describe(e), fragment);
        }
    }

    @Override
    public boolean failed() {
        return failed;
    }

    /** The next item of this format, or null at the end; read failures are thrown. */
    abstract InputRecord read() throws IOException;

    @Override
    public long offset() {
        return lines.offset();
    }

    @Override
    public long line() {
        return lines.lineNumber();
    }

    @Override
    public long rawBytes() {
        return raw.count;
    }

    @Override
    public void close() throws java.io.IOException {
        raw.closeUnlessStdin();
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
