package dev.kun.seed;

/** A text's perplexity under a language model and the number of tokens it was computed over. */
public record Perplexity(int tokens, double ppl) {}
