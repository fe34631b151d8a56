package dev.kun.generate;

import java.util.List;

/**
 * How to sample one generation. temperature 0 is greedy; topK 0 means no top-k cut; topP 1 means
 * no nucleus cut; repetitionPenalty 1 means none (Hugging Face definition: positive logits of seen
 * tokens are divided by it, negative ones multiplied).
 */
public record SamplingParams(
        double temperature,
        double topP,
        int topK,
        double repetitionPenalty,
        int maxTokens,
        List<String> stopStrings,
        List<Integer> stopTokenIds) {

    public SamplingParams {
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0: " + temperature);
        if (topP <= 0 || topP > 1) throw new IllegalArgumentException("top_p must be in (0, 1]: " + topP);
        if (topK < 0) throw new IllegalArgumentException("top_k must be >= 0: " + topK);
        if (repetitionPenalty <= 0) throw new IllegalArgumentException("repetition_penalty must be > 0: " + repetitionPenalty);
        if (maxTokens < 1) throw new IllegalArgumentException("max_tokens must be >= 1: " + maxTokens);
        stopStrings = List.copyOf(stopStrings);
        stopTokenIds = List.copyOf(stopTokenIds);
    }

    /** The original method's vLLM settings: temperature 0.5, top_p 0.95, repetition_penalty 1.2, 1024 tokens. */
    public static SamplingParams kun() {
        return new SamplingParams(0.5, 0.95, 0, 1.2, 1024, List.of(), List.of());
    }

    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0, 1, 0, 1, maxTokens, List.of(), List.of());
    }

    /** These settings with {@code stops} as the stop strings. */
    public SamplingParams withStopStrings(List<String> stops) {
        return new SamplingParams(temperature, topP, topK, repetitionPenalty, maxTokens, stops, stopTokenIds);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }
}
