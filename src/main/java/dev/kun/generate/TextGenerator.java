package dev.kun.generate;

import java.util.List;

/**
 * A backend that completes prompts: in-process DJL or an OpenAI-compatible server. Stages never know
 * which one they hold.
 */
public interface TextGenerator extends AutoCloseable {

    /** Completes every request; results come back in request order. */
    List<Generation> generate(List<GenerationRequest> requests);

    /** Number of tokens {@code text} encodes to (no special tokens added). */
    int countTokens(String text);

    @Override
    void close();
}
