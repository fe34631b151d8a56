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

    /**
     * For each prefix, entry j is log p(candidates[j] | prefix) under the raw model: what a verdict read
     * from logits needs (the probability of 好 against 差 where the judge's answer begins). By default one
     * teacher-forced sequence per candidate; an engine that reads the prefix's last position once
     * overrides it. A prefix must be non-empty and shorter than {@link #contextLength()}.
     */
    default List<float[]> nextTokenLogprobs(List<int[]> prefixes, int[] candidates) {
        List<int[]> sequences = new java.util.ArrayList<>(prefixes.size() * candidates.length);
        for (int[] prefix : prefixes) {
            for (int candidate : candidates) {
                int[] s = java.util.Arrays.copyOf(prefix, prefix.length + 1);
                s[prefix.length] = candidate;
                sequences.add(s);
            }
        }
        List<float[]> scored = tokenLogprobs(sequences);
        List<float[]> out = new java.util.ArrayList<>(prefixes.size());
        for (int i = 0; i < prefixes.size(); i++) {
            float[] row = new float[candidates.length];
            for (int j = 0; j < candidates.length; j++) {
                float[] lp = scored.get(i * candidates.length + j);
                row[j] = lp[lp.length - 1];
            }
            out.add(row);
        }
        return out;
    }

    /** Longest sequence, in tokens, that the model scores. */
    int contextLength();

    /** The model's tokenizer. */
    Tokenizer tokenizer();

    /** What about the backend changes its scores, for resume. */
    String fingerprint();

    @Override
    void close();
}
