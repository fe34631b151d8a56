package dev.kun.record;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Reads {@code \n}-terminated lines as bytes without ever holding more than {@code maxBytes} of one
 * line: a longer line is skipped through and reported as too long. Tracks the byte offset after the
 * last line returned and its 1-based line number, so a reader can resume exactly there.
 */
public final class LineReader {
    private final InputStream in;
    private final long maxBytes;
    private final byte[] chunk = new byte[1 << 16];
    private int pos;
    private int lim;
    private byte[] line = new byte[256];
    private int length;
    private boolean tooLong;
    private long offset;
    private long lineNumber;

    /** {@code offset} and {@code lineNumber} describe where {@code in} starts (non-zero on resume). */
    public LineReader(InputStream in, long maxBytes, long offset, long lineNumber) {
        this.in = in;
        this.maxBytes = maxBytes;
        this.offset = offset;
        this.lineNumber = lineNumber;
    }

    /** Advances to the next line; false at end of input. A final line without {@code \n} still counts. */
    public boolean next() throws IOException {
        length = 0;
        tooLong = false;
        boolean any = false;
        while (true) {
            if (pos == lim) {
                lim = in.read(chunk, 0, chunk.length);
                pos = 0;
                if (lim <= 0) {
                    lim = 0;
                    if (!any) return false;
                    break;
                }
            }
            any = true;
            int start = pos;
            int end = lineEnd(start);
            append(start, end - start);
            offset += end - start;
            if (end < lim) {
                pos = end + 1;
                offset++;
                break;
            }
            pos = lim;
        }
        lineNumber++;
        if (!tooLong && length > 0 && line[length - 1] == '\r') length--;
        if (lineNumber == 1 && length >= 3 && line[0] == (byte) 0xef && line[1] == (byte) 0xbb && line[2] == (byte) 0xbf) {
            // A byte-order mark is not content; some Windows tools write one.
            System.arraycopy(line, 3, line, 0, length - 3);
            length -= 3;
        }
        return true;
    }

    /**
     * Index of the first {@code \n} in {@code chunk[from, lim)}, or {@code lim}. Eight bytes at a time (a
     * byte loop was a tenth of the filter's time): {@code x = word ^ 0x0a0a...} has a zero byte where
     * the newline is, and {@code (x - 0x0101...) & ~x & 0x8080...} flags zero bytes; borrows run only
     * upwards from a zero byte, so the lowest flag (the lowest address, little-endian) is the first.
     */
    private int lineEnd(int from) {
        byte[] b = chunk;
        int limit = lim;
        int i = from;
        for (; i <= limit - 8; i += 8) {
            long x = (long) LONGS.get(b, i) ^ NEWLINES;
            long zeros = (x - ONES) & ~x & HIGHS;
            if (zeros != 0) return i + (Long.numberOfTrailingZeros(zeros) >>> 3);
        }
        while (i < limit && b[i] != '\n') i++;
        return i;
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long NEWLINES = 0x0a0a0a0a0a0a0a0aL;
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;

    private void append(int from, int n) {
        // No early return for n == 0 (a line end first in a chunk): copying nothing is harmless, and a
        // branch first taken after the JIT compiled this loop would throw the compiled code away.
        if (tooLong) return;
        if ((long) length + n > maxBytes) {
            tooLong = true;
            length = 0;
            return;
        }
        if (length + n > line.length) {
            line = Arrays.copyOf(line, Math.max(length + n, Math.min(line.length * 2, (int) Math.min(maxBytes, Integer.MAX_VALUE - 16))));
        }
        System.arraycopy(chunk, from, line, length, n);
        length += n;
    }

    /** The current line's bytes, valid in {@code [0, length())} until the next call; without the line end. */
    public byte[] bytes() {
        return line;
    }

    public int length() {
        return length;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** True when the current line exceeded the limit; its bytes were dropped. */
    public boolean tooLong() {
        return tooLong;
    }

    /** True when the current line is empty or holds only JSON whitespace. */
    public boolean blank() {
        if (tooLong) return false;
        for (int i = 0; i < length; i++) {
            byte c = line[i];
            if (c != ' ' && c != '\t' && c != '\r') return false;
        }
        return true;
    }

    /** Byte offset just after the current line (where the next one starts). */
    public long offset() {
        return offset;
    }

    /** 1-based number of the current line. */
    public long lineNumber() {
        return lineNumber;
    }
}
