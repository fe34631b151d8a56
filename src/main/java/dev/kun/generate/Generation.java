package dev.kun.generate;

/**
 * One finished generation. {@code text} excludes the stop string or stop token that ended it;
 * {@code tokenLogprobs} holds, per generated token, its log-probability under the model's raw
 * distribution (before penalty, temperature or truncation), or null where the backend gives none.
 */
public record Generation(
        String text,
        FinishReason finishReason,
        int promptTokens,
        int generatedTokens,
        int[] tokenIds,
        float[] tokenLogprobs) {}
