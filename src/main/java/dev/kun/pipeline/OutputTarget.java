package dev.kun.pipeline;

import dev.kun.error.KunException;
import dev.kun.record.JsonlWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * One file a run writes ({@code -o}, {@code --rejects} or {@code --stats}), at the place a write to it
 * lands. A symbolic link is followed to where its chain ends, so the data, the {@code .part} and the
 * checkpoint sit beside that target (the final rename stays in one directory) and the link stays a link.
 * An existing file that is not a regular one (/dev/null, /dev/stderr, a named pipe) is special: written
 * in place, never replaced by a rename nor deleted by {@code --force}, and so not resumable.
 */
final class OutputTarget {
    /** Linux's own limit on links followed in one path lookup. */
    private static final int MAX_LINK_HOPS = 40;

    /** The option that named it, for messages. */
    final String option;
    /** Where the data lands: the named path, or the end of its links. */
    final Path path;
    final boolean special;
    /** The identity (device and inode) of the .part file this run opened, to check at the end. */
    private Object partKey;

    private OutputTarget(String option, Path path) {
        this.option = option;
        this.path = path;
        this.special = special(path);
    }

    /** The target {@code given} names, or null when the option was not given. */
    static OutputTarget of(String option, Path given) {
        return given == null ? null : new OutputTarget(option, followLinks(given));
    }

    /** Where the data goes until the run is complete: {@code FILE.part}; null for a special file. */
    Path part() {
        return special ? null : sibling(path, ".part");
    }

    /**
     * A writer for the data: straight into a special file, else into {@link #part()} cut back to its
     * {@code committed} bytes (0 for a fresh start).
     */
    JsonlWriter open(long committed) throws IOException {
        boolean gzip = JsonlWriter.gzipName(path);
        if (special) return JsonlWriter.toSpecialFile(path, gzip);
        JsonlWriter writer = JsonlWriter.resume(part(), committed, gzip);
        partKey = Files.readAttributes(part(), BasicFileAttributes.class).fileKey();
        return writer;
    }

    /**
     * Refuses to go on when {@link #part()} is no longer the file this run opened or does not hold the
     * {@code length} bytes it wrote: something else replaced or cut it, and it must not be marked complete.
     */
    void requireIntact(long length) throws IOException {
        Path part = part();
        BasicFileAttributes now = Files.exists(part) ? Files.readAttributes(part, BasicFileAttributes.class) : null;
        if (now == null || now.size() != length || (partKey != null && !partKey.equals(now.fileKey()))) {
            throw KunException.usage(part + " was replaced or changed by another process while this run wrote it ("
                    + (now == null ? "it is gone" : now.size() + " bytes, " + length + " written") + "); nothing is marked"
                    + " complete: rerun with --force to start over");
        }
    }

    /** Puts the finished {@link #part()} in place under the final name. */
    void moveIntoPlace() throws IOException {
        Files.move(part(), path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Checkpoint.syncDirectory(path);
    }

    /** Writes the whole file at once (stats): atomically, or in place for a special file. */
    void writeWhole(byte[] bytes) throws IOException {
        if (special) {
            Files.write(path, bytes);
        } else {
            Checkpoint.writeAtomically(path, bytes);
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }

    /**
     * An existing file that is not a regular one (/dev/null, /dev/stderr, a named pipe): written in place,
     * never replaced by a rename or deleted by --force, and so not resumable.
     */
    static boolean special(Path p) {
        if (!Files.exists(p) || Files.isDirectory(p)) return false;
        Path abs = p.toAbsolutePath().normalize();
        // /dev/stdout may lead to a regular file, but renaming over it would replace the link in /dev.
        return !Files.isRegularFile(p) || abs.startsWith("/dev") || abs.startsWith("/proc");
    }

    /**
     * The file a write to {@code p} lands in: {@code p} itself, or where its chain of symbolic links ends,
     * existing or not (as the shell's {@code >} creates a dangling link's target). Devices and pipes are
     * written in place through their links, so a link that ends in one is kept as given.
     */
    static Path followLinks(Path p) {
        if (p == null || special(p)) return p;
        Path current = p;
        for (int hops = 0; hops < MAX_LINK_HOPS; hops++) {
            if (!Files.isSymbolicLink(current)) return current;
            try {
                // A relative target is relative to the link's directory, as the kernel reads it; no
                // normalize(): "dir/.." is not "." when dir is itself a link.
                Path parent = current.toAbsolutePath().getParent();
                current = parent.resolve(Files.readSymbolicLink(current));
            } catch (IOException e) {
                throw KunException.usage(p + ": cannot read the symbolic link (" + e.getMessage() + ")");
            }
        }
        throw KunException.usage(p + ": too many levels of symbolic links");
    }

    static Path sibling(Path p, String suffix) {
        return p.resolveSibling(p.getFileName() + suffix);
    }
}
