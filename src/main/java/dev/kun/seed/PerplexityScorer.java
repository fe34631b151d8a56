package dev.kun.seed;

import java.util.List;

/**
 * Scores texts under a language model for the seed stage's perplexity rule; the model package
 * provides the implementation, tests a fake.
 */
public interface PerplexityScorer extends AutoCloseable {

    /** One result per text, in order. */
    List<Perplexity> score(List<String> texts);

    @Override
    default void close() {}
}
