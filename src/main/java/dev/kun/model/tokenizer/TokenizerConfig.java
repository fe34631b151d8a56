package dev.kun.model.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.model.checkpoint.CheckpointFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.function.Function;

/**
 * What the Hugging Face files beside a tokenizer say about it: tokenizer_config.json (named special
 * tokens, {@code add_bos_token}, {@code add_eos_token}, {@code legacy}, {@code added_tokens_decoder}),
 * special_tokens_map.json and added_tokens.json (how older checkpoints list tokens added after
 * training), and the BOS and EOS ids of config.json and generation_config.json.
 *
 * @param bosToken         {@code bos_token}'s content, or null
 * @param eosToken         {@code eos_token}'s content, or null
 * @param namedSpecials    contents of every named special token (bos, eos, unk, pad, additional)
 * @param addedTokens      tokens added to the vocabulary, by id, in id order
 * @param addBosToken      {@code add_bos_token}, or null when absent
 * @param addEosToken      {@code add_eos_token}, or null when absent
 * @param legacy           {@code legacy}, or null when absent
 */
record TokenizerConfig(
        String bosToken,
        String eosToken,
        List<String> namedSpecials,
        Map<Integer, AddedToken> addedTokens,
        Boolean addBosToken,
        Boolean addEosToken,
        Boolean legacy) {

    /** A token added to the vocabulary: matched whole in the text before the model's own encoding. */
    record AddedToken(int id, String content, boolean special, boolean lstrip, boolean rstrip) {}

    /** Reads the files in {@code home}; each is optional. */
    static TokenizerConfig read(Path home) {
        JsonNode tc = CheckpointFiles.readOptional(home.resolve("tokenizer_config.json"));
        JsonNode map = CheckpointFiles.readOptional(home.resolve("special_tokens_map.json"));
        JsonNode added = CheckpointFiles.readOptional(home.resolve("added_tokens.json"));
        List<String> named = new ArrayList<>();
        String bos = null;
        String eos = null;
        // special_tokens_map.json first, tokenizer_config.json over it (transformers reads them in that order).
        for (JsonNode n : new JsonNode[] {map, tc}) {
            if (n == null) continue;
            String b = content(n.get("bos_token"));
            if (b != null) bos = b;
            String e = content(n.get("eos_token"));
            if (e != null) eos = e;
            for (String key : List.of("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token")) {
                String c = content(n.get(key));
                if (c != null && !named.contains(c)) named.add(c);
            }
            for (JsonNode a : n.path("additional_special_tokens")) {
                String c = content(a);
                if (c != null && !named.contains(c)) named.add(c);
            }
        }
        Map<Integer, AddedToken> tokens = new java.util.TreeMap<>();
        if (added != null) {
            added.fields().forEachRemaining(e -> {
                if (e.getValue().canConvertToInt()) {
                    int id = e.getValue().asInt();
                    tokens.put(id, new AddedToken(id, e.getKey(), named.contains(e.getKey()), false, false));
                }
            });
        }
        if (tc != null) {
            tc.path("added_tokens_decoder").fields().forEachRemaining(e -> {
                try {
                    int id = Integer.parseInt(e.getKey());
                    JsonNode t = e.getValue();
                    String c = t.path("content").asText(null);
                    if (c != null && !c.isEmpty()) {
                        tokens.put(id, new AddedToken(id, c, t.path("special").asBoolean(false) || named.contains(c),
                                t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false)));
                    }
                } catch (NumberFormatException ignored) {
                    // Not an id: not a token entry.
                }
            });
        }
        return new TokenizerConfig(bos, eos, List.copyOf(named), new LinkedHashMap<>(tokens),
                bool(tc, "add_bos_token"), bool(tc, "add_eos_token"), bool(tc, "legacy"));
    }

    /**
     * BOS and EOS ids: tokenizer_config.json's named tokens through {@code idOf}, overridden by
     * config.json's, then generation_config.json's {@code bos_token_id} and {@code eos_token_id}.
     */
    Ends ends(Path home, Function<String, Integer> idOf) {
        OptionalInt b = OptionalInt.empty();
        List<Integer> e = List.of();
        Integer bosId = bosToken == null ? null : idOf.apply(bosToken);
        if (bosId != null) b = OptionalInt.of(bosId);
        Integer eosId = eosToken == null ? null : idOf.apply(eosToken);
        if (eosId != null) e = List.of(eosId);
        for (String name : List.of("config.json", "generation_config.json")) {
            JsonNode c = CheckpointFiles.readOptional(home.resolve(name));
            if (c == null) continue;
            if (c.path("bos_token_id").isInt()) b = OptionalInt.of(c.get("bos_token_id").asInt());
            List<Integer> ids = CheckpointFiles.ids(c.get("eos_token_id"));
            if (!ids.isEmpty()) e = ids;
        }
        return new Ends(b, e);
    }

    /** A checkpoint's BOS (optional) and end-of-sequence ids (possibly several, possibly none). */
    record Ends(OptionalInt bos, List<Integer> eos) {}

    /** A token spelled as a string or as an AddedToken object ({@code {"content": ...}}); null otherwise. */
    static String content(JsonNode node) {
        if (node == null || node.isNull()) return null;
        String c = node.isTextual() ? node.asText() : node.path("content").asText(null);
        return c == null || c.isEmpty() ? null : c;
    }

    private static Boolean bool(JsonNode n, String key) {
        return n != null && n.path(key).isBoolean() ? n.get(key).asBoolean() : null;
    }
}
