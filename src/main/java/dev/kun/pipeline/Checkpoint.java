package dev.kun.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.KunException;
import dev.kun.record.Json;
import dev.kun.record.JsonlWriter;
import dev.kun.record.RecordReader.Position;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The resume sidecar {@code OUTPUT.checkpoint}: what produced the output ({@code fingerprint}), how
 * far input was consumed ({@code position}, {@code consumed}), how many bytes of {@code OUTPUT.part}
 * and {@code REJECTS.part} are committed, and the counters at that point. {@code complete} means
 * the run finished and the final files are (or are about to be) in place. Written atomically: temp
 * file, fsync, rename, fsync of the directory.
 */
public record Checkpoint(
        boolean complete,
        ObjectNode fingerprint,
        Position position,
        long consumed,
        long outputBytes,
        long rejectsBytes,
        ObjectNode stats) {

    static final int FORMAT = 1;

    public static Path pathFor(Path output) {
        return output.resolveSibling(output.getFileName() + ".checkpoint");
    }

    public static Checkpoint read(Path path) {
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(path.toFile());
        } catch (IOException e) {
            throw KunException.usage(path + ": unreadable checkpoint (" + e.getMessage().split("\n")[0]
                    + "); rerun with --force to start over");
        }
        if (n == null || n.path("kun_checkpoint").asInt() != FORMAT || !(n.get("fingerprint") instanceof ObjectNode fp)
                || !(n.get("stats") instanceof ObjectNode stats)) {
            throw KunException.usage(path + ": not a kun checkpoint of this version; rerun with --force to start over");
        }
        JsonNode p = n.path("position");
        return new Checkpoint(
                n.path("complete").asBoolean(),
                fp,
                new Position(p.path("file").asInt(), p.path("items").asLong(), p.path("offset").asLong(), p.path("line").asLong()),
                n.path("consumed").asLong(),
                n.path("output_bytes").asLong(),
                n.path("rejects_bytes").asLong(),
                stats);
    }

    public void write(Path path) throws IOException {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("kun_checkpoint", FORMAT);
        n.put("complete", complete);
        n.set("fingerprint", fingerprint);
        ObjectNode p = n.putObject("position");
        p.put("file", position.file());
        p.put("items", position.items());
        p.put("offset", position.offset());
        p.put("line", position.line());
        n.put("consumed", consumed);
        n.put("output_bytes", outputBytes);
        n.put("rejects_bytes", rejectsBytes);
        n.set("stats", stats);
        writeAtomically(path, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
    }

    /** Replaces {@code path} with {@code bytes} so that a crash leaves either the old or the new content. */
    static void writeAtomically(Path path, byte[] bytes) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) ch.write(buf);
            if (JsonlWriter.fsync()) ch.force(true);
        }
        Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        syncDirectory(path);
    }

    /** Makes a rename in {@code path}'s directory durable. */
    static void syncDirectory(Path path) {
        if (!JsonlWriter.fsync()) return;
        Path dir = path.toAbsolutePath().getParent();
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems refuse to sync a directory; the rename itself is still atomic.
        }
    }
}
