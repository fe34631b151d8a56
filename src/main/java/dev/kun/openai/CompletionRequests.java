package dev.kun.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.KunException;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.Tokenizer;
import dev.kun.record.Json;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns kun's requests into OpenAI request bodies for one served model, the same way for a server, a
 * batch file written and a batch file read back (so a body's hash names the same request in all three).
 * Counts prompt tokens with the model's tokenizer when there is one: then a prompt that does not fit is
 * refused before it is sent, and a request's {@code max_tokens} is cut to what the context leaves, as the
 * in-process engine stops at the context. Without a tokenizer nothing is counted and the server's own
 * check decides (a 400 that becomes a {@code prompt_too_long} reject).
 */
final class CompletionRequests {
    private static final Logger log = LoggerFactory.getLogger(CompletionRequests.class);
    /** Prompts counted and not yet sent are remembered up to this many, then forgotten. */
    private static final int COUNTED_LIMIT = 1 << 16;

    final EndpointApi api;
    final ServerProfile profile;
    final String model;
    private final Tokenizer tokenizer;
    private final String tokenizerName;
    private final int context;
    private final List<Integer> endTokenIds;
    /**
     * Counts by prompt object: a stage counts a prompt for the context check and then sends that very
     * string, so it is encoded once. Identity, not equality: no hashing of long prompts.
     */
    private final Map<String, Integer> counted = new IdentityHashMap<>();
    private final Set<SamplingParams> warned = new HashSet<>();

    /**
     * @param tokenizer the model's tokenizer, or null to count nothing (owned: closed with this)
     * @param tokenizerName where the tokenizer came from, for the fingerprint
     * @param context the model's context in tokens, or {@link Integer#MAX_VALUE} when unknown
     */
    CompletionRequests(EndpointApi api, ServerProfile profile, String model, Tokenizer tokenizer, String tokenizerName,
            int context, List<Integer> endTokenIds) {
        this.api = api;
        this.profile = profile;
        this.model = model;
        this.tokenizer = tokenizer;
        this.tokenizerName = tokenizerName;
        this.context = context;
        this.endTokenIds = List.copyOf(endTokenIds);
    }

    int contextLength() {
        return context;
    }

    /** Prompt tokens of {@code text}; without a tokenizer 1 for any text (nothing is counted, nothing refused). */
    synchronized int countTokens(String text) {
        if (tokenizer == null) return text.isEmpty() ? 0 : 1;
        if (counted.size() >= COUNTED_LIMIT) counted.clear();
        return counted.computeIfAbsent(text, tokenizer::count);
    }

    /** Prompt tokens of a prompt about to be sent (counted before, or now), or -1 without a tokenizer. */
    synchronized int promptTokens(String prompt) {
        if (tokenizer == null) return -1;
        Integer n = counted.remove(prompt);
        return n != null ? n : tokenizer.count(prompt);
    }

    /**
     * The tokenizer stages see: the model's, or one that says a tokenizer is needed (a stage that
     * truncates in tokens cannot work without one).
     */
    Tokenizer tokenizer() {
        if (tokenizer != null) return tokenizer;
        return new Tokenizer() {
            @Override
            public int[] encode(String text) {
                throw missing();
            }

            @Override
            public String decode(int[] ids) {
                throw missing();
            }

            private KunException missing() {
                return KunException.usage("this stage counts tokens, and --endpoint has no tokenizer: add --tokenizer DIR"
                        + " (the served model's Hugging Face tokenizer folder) or --model DIR");
            }
        };
    }

    /** The request body of {@code r}; {@code promptTokens} -1 when not counted. */
    ObjectNode body(GenerationRequest r, int promptTokens) {
        warnUnsent(r.sampling());
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", model);
        api.putPrompt(body, r.prompt());
        int maxTokens = r.sampling().maxTokens();
        if (promptTokens >= 0 && context != Integer.MAX_VALUE) {
            // The engine stops at the context; a server refuses prompt + max_tokens beyond it. One token
            // more is kept free for a BOS the server may add.
            int bos = tokenizer.bosTokenId().isPresent() ? 1 : 0;
            maxTokens = Math.max(1, Math.min(maxTokens, context - promptTokens - bos));
        }
        profile.putSampling(body, r.sampling(), maxTokens, r.seed(), endTokenIds, api == EndpointApi.CHAT);
        return body;
    }

    /** {@code body} as UTF-8 JSON bytes, fields in the order they were put (so equal requests are equal bytes). */
    static byte[] bytes(ObjectNode body) {
        try {
            return Json.MAPPER.writeValueAsBytes(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a request body could not be written", e);
        }
    }

    private synchronized void warnUnsent(SamplingParams sampling) {
        if (!warned.add(sampling)) return;
        List<String> unsent = profile.unsent(sampling);
        if (!unsent.isEmpty()) {
            log.warn("--server {} has no field for {}: the server samples without {}", profile.wireName(),
                    String.join(", ", unsent), unsent.size() == 1 ? "it" : "them");
        }
    }

    /** The fields that change a generation: route, server profile, model, context, tokenizer. */
    void fingerprint(ObjectNode fp) {
        fp.put("api", api.wireName());
        fp.put("server", profile.wireName());
        fp.put("model", model);
        fp.put("context", context == Integer.MAX_VALUE ? null : context);
        fp.put("tokenizer", tokenizerName);
    }

    void close() {
        if (tokenizer != null) tokenizer.close();
    }
}
