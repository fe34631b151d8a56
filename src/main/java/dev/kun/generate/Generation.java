package dev.kun.generate;

/**
 * One finished generation, or the failure of its request. {@code text} excludes the stop string or stop
 * token that ended it; {@code tokenLogprobs} holds, per generated token, its log-probability under the
 * model's raw distribution (before penalty, temperature or truncation), or null where the backend gives
 * none. {@code failure} is null for a generation and says why for a request that could not run.
 */
public record Generation(
        String text,
        FinishReason finishReason,
        int promptTokens,
        int generatedTokens,
        int[] tokenIds,
        float[] tokenLogprobs,
        Failure failure) {

    /**
     * Why one request could not run: {@code reason} is the short reject reason ("prompt_too_long"),
     * {@code message} the one-line explanation (a server's own message where it gave one).
     */
    public record Failure(String reason, String message) {}

    /** A generation that ran. */
    public Generation(String text, FinishReason finishReason, int promptTokens, int generatedTokens, int[] tokenIds,
            float[] tokenLogprobs) {
        this(text, finishReason, promptTokens, generatedTokens, tokenIds, tokenLogprobs, null);
    }

    /** A request that could not run, for {@code reason}. */
    public static Generation failed(String reason, String message, int promptTokens) {
        return new Generation("", null, promptTokens, 0, new int[0], null, new Failure(reason, message));
    }

    public boolean isFailure() {
        return failure != null;
    }
}
