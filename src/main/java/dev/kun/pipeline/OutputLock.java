package dev.kun.pipeline;

import dev.kun.error.KunException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Keeps every other kun process off the files a run writes, for as long as it runs: a lock on
 * {@code FILE.lock} beside each output file, taken before anything is read, deleted or written, and
 * released after the final renames. {@code --force} discards an earlier run's files, never a live one's:
 * a locked file is refused, naming the process that holds it. The lock dies with its process (even
 * {@code kill -9}), so a stale {@code .lock} file is simply taken over; a finished run deletes it.
 *
 * <p>Java's file locks are POSIX record locks: they belong to the process, and closing any channel of
 * the file releases them. So a run never opens another run's lock file for writing, and two runs inside
 * one JVM (tests) see each other through {@link OverlappingFileLockException}, not through the kernel.
 */
final class OutputLock implements AutoCloseable {
    /** Rounds of "opened a lock file its holder deleted in the meantime" before giving up. */
    private static final int ATTEMPTS = 20;

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;

    private OutputLock(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    /** Locks every target that is a file (not stdout, not a device); throws when one is held by a live run. */
    static List<OutputLock> acquireAll(OutputTargets targets) throws IOException {
        List<OutputLock> locks = new ArrayList<>();
        try {
            for (OutputTarget t : targets.all()) {
                if (!t.special) locks.add(acquire(t.path));
            }
        } catch (IOException | RuntimeException e) {
            releaseAll(locks);
            throw e;
        }
        return locks;
    }

    static void releaseAll(List<OutputLock> locks) {
        for (OutputLock l : locks) l.close();
    }

    /** Locks {@code target}'s lock file, or refuses when another live run holds it. */
    static OutputLock acquire(Path target) throws IOException {
        Path path = OutputTarget.sibling(target, ".lock");
        String token = ProcessHandle.current().pid() + " " + Long.toHexString(ThreadLocalRandom.current().nextLong()) + "\n";
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = tryLock(channel, target, path);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(token.getBytes(StandardCharsets.UTF_8)), 0);
            // A holder deletes its lock file just before it lets go, so the file opened here may be one that
            // no longer has a name (or whose name now leads to a newer run's file): then the lock guards
            // nothing. Check that the name leads to this token. Reading opens and closes the file, which
            // would drop a POSIX lock held in this process, so let go first and take the lock again after.
            lock.release();
            boolean named = token.equals(readQuietly(path));
            lock = tryLock(channel, target, path);
            if (named) return new OutputLock(path, channel, lock);
            lock.release();
            channel.close();
        }
        throw KunException.usage(path + ": cannot take the lock (the file keeps being replaced); is another kun"
                + " process starting on " + target + "?");
    }

    /** The lock on {@code channel}, or a refusal naming the run that holds it (the channel is closed then). */
    private static FileLock tryLock(FileChannel channel, Path target, Path lockFile) throws IOException {
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            // Held by another run in this JVM. The channel stays open: closing it would drop that run's lock.
            throw KunException.usage(target + " is being written by another run in this process (" + lockFile + ")");
        }
        if (lock != null) return lock;
        channel.close();
        String holder = readQuietly(lockFile);
        String pid = holder == null || holder.isBlank() ? "" : " (pid " + holder.strip().split(" ")[0] + ")";
        throw KunException.usage(target + " is being written by another kun process" + pid + "; wait for it to"
                + " finish or stop it (--force never takes over a live run's output; lock " + lockFile + ")");
    }

    private static String readQuietly(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
    }

    /** Deletes the lock file while still holding it, then lets go. */
    @Override
    public void close() {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // A stale lock file is harmless: the next run takes it over.
        }
        try {
            lock.release();
        } catch (IOException e) {
            // Closing the channel releases it anyway.
        }
        try {
            channel.close();
        } catch (IOException e) {
            // Nothing left to do.
        }
    }
}
