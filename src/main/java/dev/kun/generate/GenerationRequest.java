package dev.kun.generate;

/**
 * One prompt to complete. {@code seed} makes sampling reproducible per request, whatever else
 * shares the batch; kun derives it from the record id (see {@link Seeds}).
 */
public record GenerationRequest(String prompt, SamplingParams sampling, long seed) {}
