package dev.kun.generate;

import java.util.List;

/**
 * A backend that scores token sequences under a language model (teacher forcing): what perplexity
 * and logit verdicts need. The in-process engine implements it.
 */
public interface TextScorer extends AutoCloseable {

    /**
     * For each sequence, entry i is log p(ids[i + 1] | ids[0..i]) under the raw model: n tokens give
     * n - 1 values (none for n < 2). A sequence longer than {@link #contextLength()} is an error.
     */
    List<float[]> tokenLogprobs(List<int[]> sequences);

    /** Longest sequence, in tokens, that the model scores. */
    int contextLength();

    /** The model's tokenizer. */
    Tokenizer tokenizer();

    /** What about the backend changes its scores, for resume. */
    String fingerprint();

    @Override
    void close();
}
