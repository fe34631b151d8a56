package dev.kun.record;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** An input file's raw bytes, counted for progress. */
final class CountingInputStream extends FilterInputStream {
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

    /** Closes the file, but never stdin, which belongs to the process. */
    void closeUnlessStdin() throws IOException {
        if (in != System.in) close();
    }
}
