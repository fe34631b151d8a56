package dev.kun.record;

import java.io.FilterInputStream;
import java.io.InputStream;

/**
 * Says nothing more is available, so a {@link java.io.BufferedInputStream} above it makes one read here
 * per read of its own. Under a gzip stream that matters: a BufferedInputStream that reads again to fill
 * a caller's buffer and gets the exception of a file cut short throws away the bytes its first read
 * returned (up to 64 KB of lines before the cut). With one read per call, every byte decompressed before
 * the cut reaches the line reader, and the exception comes with the next read, alone.
 */
final class NoReadAheadInputStream extends FilterInputStream {
    NoReadAheadInputStream(InputStream in) {
        super(in);
    }

    @Override
    public int available() {
        return 0;
    }
}
