package dev.kun.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.generate.SamplingParams;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * How one kind of OpenAI-compatible server spells the sampling fields. Every request carries every
 * field the server takes, "off" values included: a field left out is filled from the model's
 * generation_config.json (vLLM, SGLang) or the server's own flags (llama.cpp's min_p 0.05), so the
 * same request would sample differently on another deployment of the same model.
 */
public enum ServerProfile {
    /** vLLM: OpenAI fields plus top_k (-1 off), min_p, repetition_penalty (Hugging Face's), stop_token_ids. */
    VLLM,
    /** SGLang: the same extra fields as vLLM. */
    SGLANG,
    /**
     * Text Generation Inference: repetition_penalty, but no top_k on its OpenAI routes and top_p only
     * below 1 (1, off, is left out).
     */
    TGI,
    /**
     * llama.cpp's server: repeat_penalty over the whole context (repeat_last_n -1) for repetition_penalty,
     * top_k 0 off, and its own samplers (min_p, typical_p, DRY, XTC, mirostat) switched off.
     */
    LLAMACPP,
    /** The hosted OpenAI API: only OpenAI's fields (no top_k, no repetition_penalty). */
    OPENAI;

    /** The profile named {@code name} (vllm, sglang, tgi, llamacpp, openai), or null. */
    public static ServerProfile parse(String name) {
        for (ServerProfile p : values()) {
            if (p.wireName().equals(name.toLowerCase(Locale.ROOT))) return p;
        }
        return null;
    }

    /** The name the command line and fingerprints use. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Puts the sampling fields of one request into {@code body}, in this server's spelling.
     *
     * @param maxTokens the token budget of this request (the sampling's, or less where the context is shorter)
     * @param endTokenIds token ids that end a turn for this model ({@code <|im_end|>}, ...), sent as stop ids
     *     where the server takes them, as the in-process engine stops at them too
     */
    void putSampling(ObjectNode body, SamplingParams s, int maxTokens, long seed, List<Integer> endTokenIds,
            boolean chat) {
        switch (this) {
            case VLLM, SGLANG -> {
                body.put("max_tokens", maxTokens);
                body.put("temperature", s.temperature());
                body.put("top_p", s.topP());
                body.put("top_k", s.topK() == 0 ? -1 : s.topK());
                body.put("min_p", 0.0);
                body.put("repetition_penalty", s.repetitionPenalty());
                body.put("presence_penalty", 0.0);
                body.put("frequency_penalty", 0.0);
                body.put("n", 1);
                body.put("seed", seed & Long.MAX_VALUE);
                putStop(body, s);
                Set<Integer> ids = new LinkedHashSet<>(s.stopTokenIds());
                ids.addAll(endTokenIds);
                ArrayNode stopIds = body.putArray("stop_token_ids");
                for (int id : ids) stopIds.add(id);
            }
            case TGI -> {
                body.put("max_tokens", maxTokens);
                body.put("temperature", s.temperature());
                if (s.topP() < 1) body.put("top_p", s.topP());
                body.put("repetition_penalty", s.repetitionPenalty());
                body.put("frequency_penalty", 0.0);
                body.put("seed", seed & Long.MAX_VALUE);
                putStop(body, s);
            }
            case LLAMACPP -> {
                body.put("max_tokens", maxTokens);
                body.put("temperature", s.temperature());
                body.put("top_k", s.topK());
                body.put("top_p", s.topP());
                body.put("min_p", 0.0);
                body.put("typical_p", 1.0);
                body.put("repeat_penalty", s.repetitionPenalty());
                body.put("repeat_last_n", -1);
                body.put("presence_penalty", 0.0);
                body.put("frequency_penalty", 0.0);
                body.put("dry_multiplier", 0.0);
                body.put("xtc_probability", 0.0);
                body.put("mirostat", 0);
                // A 32-bit seed, and never 0xFFFFFFFF, which llama.cpp reads as "pick one at random".
                body.put("seed", seed & 0x7FFFFFFFL);
                putStop(body, s);
            }
            case OPENAI -> {
                body.put(chat ? "max_completion_tokens" : "max_tokens", maxTokens);
                body.put("temperature", s.temperature());
                body.put("top_p", s.topP());
                body.put("presence_penalty", 0.0);
                body.put("frequency_penalty", 0.0);
                body.put("n", 1);
                body.put("seed", seed & Long.MAX_VALUE);
                putStop(body, s);
            }
        }
    }

    private static void putStop(ObjectNode body, SamplingParams s) {
        ArrayNode stop = body.putArray("stop");
        for (String text : s.stopStrings()) stop.add(text);
    }

    /** The settings of {@code s} this server has no field for, as "name value"; empty when it takes them all. */
    List<String> unsent(SamplingParams s) {
        List<String> out = new ArrayList<>();
        boolean topK = this == TGI || this == OPENAI;
        boolean penalty = this == OPENAI;
        boolean stopIds = this == TGI || this == LLAMACPP || this == OPENAI;
        if (topK && s.topK() != 0) out.add("top_k " + s.topK());
        if (penalty && s.repetitionPenalty() != 1) out.add("repetition_penalty " + s.repetitionPenalty());
        if (stopIds && !s.stopTokenIds().isEmpty()) out.add("stop_token_ids " + s.stopTokenIds());
        return out;
    }
}
