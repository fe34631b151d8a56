package dev.kun.model.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;

/**
 * The optional generation_config.json of a checkpoint: stop ids and the model author's sampling
 * defaults. Absent keys are null (or an empty list), so callers can tell "not set" from a value.
 *
 * @param eosTokenIds {@code eos_token_id}, an int or a list in the file; empty when absent
 */
public record GenerationConfig(
        Integer bosTokenId,
        List<Integer> eosTokenIds,
        Integer padTokenId,
        Boolean doSample,
        Double temperature,
        Double topP,
        Integer topK,
        Double repetitionPenalty,
        Integer maxNewTokens) {

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    /** No file: nothing set. */
    public static GenerationConfig empty() {
        return new GenerationConfig(null, List.of(), null, null, null, null, null, null, null);
    }

    /** Reads {@code dir/generation_config.json}, or returns {@link #empty()} when the file is absent. */
    public static GenerationConfig read(Path dir) {
        JsonNode g = CheckpointFiles.readOptional(dir.resolve("generation_config.json"));
        return g == null ? empty() : parse(g);
    }

    public static GenerationConfig parse(JsonNode g) {
        return new GenerationConfig(
                intOrNull(g, "bos_token_id"),
                CheckpointFiles.ids(g.get("eos_token_id")),
                intOrNull(g, "pad_token_id"),
                g.path("do_sample").isBoolean() ? g.get("do_sample").asBoolean() : null,
                doubleOrNull(g, "temperature"),
                doubleOrNull(g, "top_p"),
                intOrNull(g, "top_k"),
                doubleOrNull(g, "repetition_penalty"),
                intOrNull(g, "max_new_tokens"));
    }

    private static Integer intOrNull(JsonNode g, String key) {
        return g.path(key).isIntegralNumber() ? g.get(key).asInt() : null;
    }

    private static Double doubleOrNull(JsonNode g, String key) {
        return g.path(key).isNumber() ? g.get(key).asDouble() : null;
    }
}
