package dev.kun.model.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Reading a checkpoint's JSON files (config, tokenizer config, generation config) with one-line errors. */
public final class CheckpointFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CheckpointFiles() {}

    /** Token ids from a JSON int or array of ints (how {@code eos_token_id} may be spelled); empty for null. */
    public static List<Integer> ids(JsonNode node) {
        if (node == null || node.isNull()) return List.of();
        if (node.isInt()) return List.of(node.asInt());
        Set<Integer> out = new LinkedHashSet<>();
        if (node.isArray()) for (JsonNode n : node) if (n.isInt()) out.add(n.asInt());
        return List.copyOf(out);
    }

    /** The parsed file; an unreadable or malformed file is a backend failure (exit 4) naming it. */
    public static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new KunException(ExitCodes.BACKEND, "cannot read " + file + ": " + oneLine(e), e);
        }
    }

    /** {@link #readJson} of {@code file}, or null when it does not exist. */
    public static JsonNode readOptional(Path file) {
        return Files.isRegularFile(file) ? readJson(file) : null;
    }

    /** The first line of {@code e}'s message (its class name when it has none), for one-line errors. */
    public static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
