package dev.kun.seed;

/**
 * Everything that decides the seed stage's output. {@code textField} is where the document is read
 * ({@code output} under {@code invert}); 0 turns {@code minChars}, {@code maxChars},
 * {@code maxTokens} and {@code bands} (derive from the threshold) off; {@code maxPpl} is used only
 * with a perplexity model (infinity: annotate, drop only an undefined perplexity). {@code tokenizer} and {@code pplModel} name their sources, for the
 * fingerprint.
 */
public record SeedConfig(
        String textField,
        boolean nfkc,
        int minChars,
        int maxChars,
        int maxTokens,
        String tokenizer,
        Dedup dedup,
        int ngram,
        int numPerm,
        double nearDupThreshold,
        int bands,
        boolean invert,
        SftFormat sftFormat,
        String pplModel,
        double maxPpl) {

    /** Which duplicates the stage removes; {@code NEAR} removes exact ones too. */
    public enum Dedup { NONE, EXACT, NEAR }

    /** The training-pair layout written under {@code --invert}. */
    public enum SftFormat {
        /** {@code {"id", "prompt", "completion"}}: the prompt is the exact ChatML label prompt. */
        PROMPT_COMPLETION,
        /** {@code {"id", "messages": [user, assistant]}}: the trainer's chat template frames it. */
        MESSAGES
    }

    public static final int DEFAULT_NGRAM = 5;
    public static final int DEFAULT_NUM_PERM = 128;
    public static final double DEFAULT_THRESHOLD = 0.8;
    /** Fixed so that signatures, hence decisions, are the same on every machine and run. */
    public static final long MINHASH_SEED = 0x6b756e2d73656564L;

    /** The defaults of {@code kun seed}: documents in {@code text}, near-duplicate removal on. */
    public static SeedConfig defaults() {
        return new SeedConfig(dev.kun.record.KunRecord.TEXT, false, 0, 0, 0, null, Dedup.NEAR, DEFAULT_NGRAM,
                DEFAULT_NUM_PERM, DEFAULT_THRESHOLD, 0, false, SftFormat.PROMPT_COMPLETION, null,
                Double.POSITIVE_INFINITY);
    }

    public LshBands lshBands() {
        return bands > 0 ? new LshBands(bands, numPerm / bands) : LshBands.forThreshold(nearDupThreshold, numPerm);
    }

    public SeedConfig withTextField(String field) {
        return new SeedConfig(field, nfkc, minChars, maxChars, maxTokens, tokenizer, dedup, ngram, numPerm,
                nearDupThreshold, bands, invert, sftFormat, pplModel, maxPpl);
    }

    public SeedConfig withLengths(int min, int max) {
        return new SeedConfig(textField, nfkc, min, max, maxTokens, tokenizer, dedup, ngram, numPerm,
                nearDupThreshold, bands, invert, sftFormat, pplModel, maxPpl);
    }

    public SeedConfig withNfkc(boolean on) {
        return new SeedConfig(textField, on, minChars, maxChars, maxTokens, tokenizer, dedup, ngram, numPerm,
                nearDupThreshold, bands, invert, sftFormat, pplModel, maxPpl);
    }

    public SeedConfig withTokens(String tokenizerName, int max) {
        return new SeedConfig(textField, nfkc, minChars, maxChars, max, tokenizerName, dedup, ngram, numPerm,
                nearDupThreshold, bands, invert, sftFormat, pplModel, maxPpl);
    }

    public SeedConfig withDedup(Dedup mode) {
        return new SeedConfig(textField, nfkc, minChars, maxChars, maxTokens, tokenizer, mode, ngram, numPerm,
                nearDupThreshold, bands, invert, sftFormat, pplModel, maxPpl);
    }

    public SeedConfig withInvert(SftFormat format) {
        return new SeedConfig(dev.kun.record.KunRecord.OUTPUT, nfkc, minChars, maxChars, maxTokens, tokenizer, dedup, ngram,
                numPerm, nearDupThreshold, bands, true, format, pplModel, maxPpl);
    }

    public SeedConfig withPerplexity(String model, double max) {
        return new SeedConfig(textField, nfkc, minChars, maxChars, maxTokens, tokenizer, dedup, ngram, numPerm,
                nearDupThreshold, bands, invert, sftFormat, model, max);
    }
}
