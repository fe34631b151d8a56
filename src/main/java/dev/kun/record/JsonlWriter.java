package dev.kun.record;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.KunException;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Writes records as JSONL: UTF-8, non-ASCII as-is, one object per line ending in {@code \n}; gzip (zlib
 * level 1) when the file name ends in .gz. {@link #commit()} makes everything written so far durable (and, for gzip,
 * closes the current gzip member, since concatenated members are valid gzip), so a resumed run can cut
 * the file back to a committed length and go on writing identical bytes.
 */
public final class JsonlWriter implements Closeable {
    /** The file written, named in write failures; null for stdout. */
    private final Path path;
    private final FileChannel channel;
    private final Counting counting;
    private final boolean gzip;
    private final OutputStream body;
    private GZIPOutputStream member;
    private final boolean ownsSink;

    private JsonlWriter(Path path, FileChannel channel, OutputStream sink, long length, boolean gzip, boolean ownsSink) {
        this.path = path;
        this.ownsSink = ownsSink;
        this.channel = channel;
        this.counting = new Counting(sink, length);
        this.gzip = gzip;
        this.body = new BufferedOutputStream(new Body(), 1 << 16);
    }

    /** A new file at {@code path} (an existing one is truncated). */
    public static JsonlWriter create(Path path, boolean gzip) throws IOException {
        return resume(path, 0, gzip);
    }

    /** Opens {@code path}, cuts it to {@code length} committed bytes and appends after them. */
    public static JsonlWriter resume(Path path, long length, boolean gzip) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        if (ch.tryLock() == null) {
            ch.close();
            throw KunException.usage(path + " is being written by another kun process");
        }
        try {
            ch.truncate(length);
            ch.position(length);
        } catch (IOException e) {
            ch.close();
            throw new WriteFailedException(path, e);
        }
        return new JsonlWriter(path, ch, Channels.newOutputStream(ch), length, gzip, false);
    }

    /**
     * Writes straight into {@code path}, an existing file that is not a regular one (/dev/null, a named
     * pipe): such a file can be neither cut back nor replaced by a rename. {@link #close()} closes it.
     */
    public static JsonlWriter toSpecialFile(Path path, boolean gzip) throws IOException {
        return new JsonlWriter(path, null, Files.newOutputStream(path), 0, gzip, true);
    }

    /** Writes to {@code out} (stdout), which {@link #close()} flushes but does not close. */
    public static JsonlWriter to(OutputStream out) {
        return new JsonlWriter(null, null, out, 0, false, false);
    }

    /** True when {@code path}'s name asks for gzip. */
    public static boolean gzipName(Path path) {
        return path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz");
    }

    public void write(KunRecord record) throws IOException {
        try {
            record.writeTo(body);
            body.write('\n');
        } catch (IOException e) {
            throw failed(e);
        }
    }

    public void write(ObjectNode json) throws IOException {
        writeLine(Json.MAPPER.writeValueAsBytes(json));
    }

    /** Writes one already serialised JSON object and the line end. */
    public void writeLine(byte[] json) throws IOException {
        try {
            body.write(json);
            body.write('\n');
        } catch (IOException e) {
            throw failed(e);
        }
    }

    /** {@code e} with the file named, so a disk-full error says which file it hit; stdout's stay as they are. */
    private IOException failed(IOException e) {
        return path == null || e instanceof WriteFailedException ? e : new WriteFailedException(path, e);
    }

    /** Flushes, ends the gzip member and forces the file to disk; returns the committed length in bytes. */
    public long commit() throws IOException {
        long length = flush();
        sync();
        return length;
    }

    /**
     * The first half of {@link #commit()}: flushes and ends the gzip member, so everything written so far
     * is with the operating system and the returned length is a place a resumed run can cut back to.
     */
    public long flush() throws IOException {
        try {
            body.flush();
            if (member != null) {
                member.close();
                member = null;
            }
            counting.flush();
        } catch (IOException e) {
            throw failed(e);
        }
        // PrintStream swallows a broken pipe (kun ... | head): stop instead of working for nobody.
        if (channel == null && counting.sink() instanceof PrintStream ps && ps.checkError()) {
            throw new StdoutClosedException();
        }
        return counting.count;
    }

    /**
     * The second half of {@link #commit()}: forces what {@link #flush()} handed over to disk. It touches
     * only the file channel, which is safe for concurrent use, so another thread may run it while this
     * writer goes on writing (the force may then take some later bytes along, which is harmless).
     */
    public void sync() throws IOException {
        try {
            if (channel != null && fsync()) channel.force(false);
        } catch (IOException e) {
            throw failed(e);
        }
    }

    /**
     * False only under {@code -Dkun.fsync=false}, which tests use to run hundreds of checkpoints fast:
     * a killed process loses nothing the kernel already has, only a power loss needs the fsync.
     */
    public static boolean fsync() {
        return !"false".equals(System.getProperty("kun.fsync"));
    }

    /** Bytes written to the underlying file so far (committed or not). */
    public long length() {
        return counting.count;
    }

    /**
     * Closes without flushing what is still buffered, as a crash would: the file keeps only what
     * already reached it, and a resumed run cuts it back to the last commit anyway. Stdout is flushed.
     */
    public void abort() {
        try {
            if (channel != null) {
                channel.close();
            } else {
                body.flush();
            }
        } catch (IOException | RuntimeException e) {
            // Already failing; the original error is the one to report.
        }
    }

    @Override
    public void close() throws IOException {
        commit();
        try {
            if (channel != null) channel.close();
            if (ownsSink) counting.sink().close();
        } catch (IOException e) {
            throw failed(e);
        }
    }

    /** Routes writes into the current gzip member, opening one on the first write after a commit. */
    private final class Body extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (!gzip) {
                counting.write(b, off, len);
                return;
            }
            if (member == null) {
                member = new GZIPOutputStream(new FilterOutputStream(counting) {
                    @Override
                    public void write(byte[] bytes, int o, int n) throws IOException {
                        out.write(bytes, o, n);
                    }

                    @Override
                    public void close() throws IOException {
                        flush(); // a member ends, the file goes on
                    }
                }, 1 << 16) {
                    {
                        // zlib level 1: about three times the speed of the default 6 for a few percent more
                        // bytes, so gzip output does not become the slowest step of a stage.
                        def.setLevel(Deflater.BEST_SPEED);
                    }
                };
            }
            member.write(b, off, len);
        }
    }

    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(OutputStream out, long count) {
            super(out);
            this.count = count;
        }

        OutputStream sink() {
            return out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }

}
