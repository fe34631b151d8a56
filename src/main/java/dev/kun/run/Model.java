package dev.kun.run;

import dev.kun.generate.TextGenerator;
import dev.kun.generate.TextScorer;

/**
 * The model a stage of the run runs on, shared with every stage that names the same one: as a generator
 * (sampling) or as a scorer (log-probabilities, for verdicts read from logits). Each is opened on first
 * use; when the backend that opened one is also the other, it serves both.
 */
public interface Model {
    TextGenerator generator();

    TextScorer scorer();
}
