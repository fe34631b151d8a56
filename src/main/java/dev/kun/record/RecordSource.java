package dev.kun.record;

import java.io.Closeable;
import java.io.IOException;

/**
 * The items of one input file in one format (JSONL, a JSON array, plain text), or the one bad item of a
 * file that could not be opened. {@link RecordReader} chooses the source for each file and strings them
 * together; a source turns everything wrong with its input into bad items, never into exceptions, except
 * for a read failure of the underlying file.
 */
interface RecordSource extends Closeable {

    /** The next item, or null at the end of the file. */
    InputRecord next() throws IOException;

    /** Decompressed byte offset after the last item returned, where a resumed source seeks to (0: re-read by count). */
    long offset();

    /** Line number of the last item returned. */
    long line();

    /** Raw (possibly compressed) bytes read so far, for progress. */
    long rawBytes();

    /** True once reading failed (a file cut short): the last item returned said so, and there are no more. */
    default boolean failed() {
        return false;
    }

    /** False for a file that could not be opened, which is not reported as empty besides. */
    default boolean opened() {
        return true;
    }
}
