package dev.kun.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.KunException;
import dev.kun.record.Json;
import dev.kun.record.JsonlWriter;
import dev.kun.record.RecordReader.Position;
import dev.kun.record.WriteFailedException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The resume sidecar {@code OUTPUT.checkpoint}: what produced the output ({@code fingerprint}), how
 * far input was consumed ({@code position}, {@code consumed}), how many bytes of {@code OUTPUT.part}
 * and {@code REJECTS.part} are committed, the counters at that point, and the stats file it writes
 * ({@code statsFile}, null without one). {@code complete} means the run finished and the final files are
 * (or are about to be) in place. Written atomically: temp file, fsync, rename, fsync of the directory.
 *
 * <p>Its first field is a CRC-32C of the rest, so a checkpoint changed by hand or damaged in a way that
 * still parses is refused rather than resumed into wrong output; {@link #read} also refuses values that
 * cannot be (negative counts, counters that do not add up). Every refusal is a usage error (exit 2) that
 * says to rerun with {@code --force}.
 */
public record Checkpoint(
        boolean complete,
        ObjectNode fingerprint,
        Position position,
        long consumed,
        long outputBytes,
        long rejectsBytes,
        ObjectNode stats,
        String statsFile) {

    static final int FORMAT = 2;
    /** The first line after the brace: {@code "checksum" : "crc32c:0123abcd",}; the rest is what it covers. */
    private static final String CHECKSUM_OPEN = "\n  \"checksum\" : \"crc32c:";
    private static final String CHECKSUM_CLOSE = "\",";
    private static final int HEX_DIGITS = 8;

    public static Path pathFor(Path output) {
        return output.resolveSibling(output.getFileName() + ".checkpoint");
    }

    public static Checkpoint read(Path path) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw damaged(path, "unreadable checkpoint (" + e.getMessage() + ")");
        }
        byte[] body = verifiedBody(path, bytes);
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw damaged(path, "unreadable checkpoint (" + e.getMessage().split("\n")[0] + ")");
        }
        if (n == null || n.path("kun_checkpoint").asInt() != FORMAT || !(n.get("fingerprint") instanceof ObjectNode fp)
                || !(n.get("stats") instanceof ObjectNode stats)) {
            throw KunException.usage(path + ": not a kun checkpoint of this version; rerun with --force to start over");
        }
        JsonNode p = n.path("position");
        Position position = new Position((int) count(path, p, "file"), count(path, p, "items"),
                count(path, p, "offset"), count(path, p, "line"));
        if (!n.path("complete").isBoolean()) throw damaged(path, "'complete' is not true or false");
        JsonNode statsFile = n.path("stats_file");
        Checkpoint c = new Checkpoint(n.get("complete").booleanValue(), fp, position, count(path, n, "consumed"),
                count(path, n, "output_bytes"), count(path, n, "rejects_bytes"), stats,
                statsFile.isTextual() ? statsFile.textValue() : null);
        c.requireCountersAddUp(path);
        return c;
    }

    /** The bytes the checksum covers, once it matches; a refusal otherwise. */
    private static byte[] verifiedBody(Path path, byte[] file) {
        byte[] open = ("{" + CHECKSUM_OPEN).getBytes(StandardCharsets.US_ASCII);
        int hexAt = open.length;
        int closeAt = hexAt + HEX_DIGITS;
        byte[] close = CHECKSUM_CLOSE.getBytes(StandardCharsets.US_ASCII);
        if (file.length < closeAt + close.length || !Arrays.equals(file, 0, open.length, open, 0, open.length)
                || !Arrays.equals(file, closeAt, closeAt + close.length, close, 0, close.length)) {
            throw KunException.usage(path + ": not a kun checkpoint of this version (no checksum first);"
                    + " rerun with --force to start over");
        }
        String stored = new String(file, hexAt, HEX_DIGITS, StandardCharsets.US_ASCII);
        byte[] body = new byte[file.length - (closeAt + close.length) + 1];
        body[0] = '{';
        System.arraycopy(file, closeAt + close.length, body, 1, body.length - 1);
        if (!stored.equals(crc32c(body))) {
            throw damaged(path, "its checksum does not match its content: it was changed by hand or damaged");
        }
        return body;
    }

    private static String crc32c(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        return String.format("%08x", crc.getValue());
    }

    /** A whole number >= 0 (what every count, offset and byte length here is), or a refusal naming it. */
    private static long count(Path path, JsonNode parent, String field) {
        JsonNode v = parent.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
            throw damaged(path, "'" + field + "' is missing or not a whole number");
        }
        long value = v.longValue();
        if (value < 0) throw damaged(path, "'" + field + "' is negative (" + value + ")");
        if (field.equals("file") && value > Integer.MAX_VALUE) throw damaged(path, "'file' is out of range (" + value + ")");
        return value;
    }

    /** Every input record consumed is counted once: kept, dropped or bad input. */
    private void requireCountersAddUp(Path path) {
        long total = stats.path("total").asLong(-1);
        long parts = stats.path("kept").asLong(-1) + stats.path("dropped").asLong(-1) + stats.path("bad_input").asLong(-1);
        if (total != consumed || parts != total || stats.path("kept").asLong(-1) < 0 || stats.path("dropped").asLong(-1) < 0
                || stats.path("bad_input").asLong(-1) < 0) {
            throw damaged(path, "its counters do not add up (consumed " + consumed + ", stats " + stats + ")");
        }
    }

    /** Exit 2 for a checkpoint that cannot be trusted, with the way out. */
    static KunException damaged(Path path, String why) {
        return KunException.usage(path + ": damaged checkpoint: " + why + "; rerun with --force to start over");
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
        n.put("stats_file", statsFile);
        byte[] body = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(n);
        // The checksum goes first, right after the brace, so the file stays one JSON object.
        byte[] head = ("{" + CHECKSUM_OPEN + crc32c(body) + CHECKSUM_CLOSE).getBytes(StandardCharsets.US_ASCII);
        byte[] file = new byte[head.length + body.length - 1];
        System.arraycopy(head, 0, file, 0, head.length);
        System.arraycopy(body, 1, file, head.length, body.length - 1);
        writeAtomically(path, file);
    }

    /** Replaces {@code path} with {@code bytes} so that a crash leaves either the old or the new content. */
    static void writeAtomically(Path path, byte[] bytes) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            try {
                java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) ch.write(buf);
                if (JsonlWriter.fsync()) ch.force(true);
            } catch (FileSystemException e) {
                throw e;
            } catch (IOException e) {
                // Disk full and the like: name the file, which the operating system's exception does not.
                throw new WriteFailedException(tmp, e);
            }
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
