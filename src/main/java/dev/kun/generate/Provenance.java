package dev.kun.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.record.Json;
import dev.kun.record.KunRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * How a model stage made the fields it wrote, kept in the record under {@code "kun": {"<stage>": {...}}}
 * (one sub-object per stage, the others left as they are): the model's name and a short hash of the
 * backend's fingerprint (its files, dtype, device, context), the sampling settings, the record's own
 * sampling seed, why the generation ended, and its token counts. A dataset then says how each field was
 * made, and two records made by different models or settings can be told apart.
 *
 * @param model            the model's name as the user gave it (its directory's name)
 * @param modelFingerprint the first 16 hex digits of the SHA-256 of the backend's fingerprint
 */
public record Provenance(String model, String modelFingerprint) {
    /** The record field that holds every stage's provenance. */
    public static final String FIELD = "kun";

    /** Provenance for a model named {@code model} whose backend has {@code backendFingerprint}. */
    public static Provenance of(String model, String backendFingerprint) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(backendFingerprint.getBytes(StandardCharsets.UTF_8));
            return new Provenance(model, HexFormat.of().formatHex(digest, 0, 8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The model alone: {@code model}, {@code model_fingerprint}. */
    public ObjectNode describe() {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("model", model);
        node.put("model_fingerprint", modelFingerprint);
        return node;
    }

    /**
     * The model, then the request's sampling and seed (when {@code request} is not null), and the generation's {@code finish_reason},
     * {@code prompt_tokens} and {@code generated_tokens}.
     */
    public ObjectNode describe(GenerationRequest request, Generation generation) {
        ObjectNode node = describe();
        if (request != null) { // null: a caller that did not say how it sampled
            node.set("sampling", PromptStage.samplingJson(request.sampling()));
            node.put("seed", request.seed());
        }
        node.put("finish_reason", generation.finishReason().wireName());
        node.put("prompt_tokens", generation.promptTokens());
        node.put("generated_tokens", generation.generatedTokens());
        return node;
    }

    /** {@code record} with {@code kun.<stage>} set to {@code node}; other stages' entries stay. */
    public static KunRecord attach(KunRecord record, String stage, ObjectNode node) {
        JsonNode existing = record.json().get(FIELD);
        ObjectNode kun = existing != null && existing.isObject() ? ((ObjectNode) existing).deepCopy() : Json.MAPPER.createObjectNode();
        kun.set(stage, node);
        return record.with(FIELD, kun);
    }
}
