package dev.kun.generate;

import java.util.List;

/**
 * A backend that completes prompts: the in-process engine or an OpenAI-compatible server. Stages never
 * know which one they hold; {@code dev.kun.backend.Backends} is the one place that does.
 */
public interface TextGenerator extends AutoCloseable {

    /**
     * Completes every request; results come back in request order, one per request. A request that
     * cannot run (its prompt does not fit, the server refused it) comes back as a
     * {@linkplain Generation#failed failed} generation; the others go on.
     */
    List<Generation> generate(List<GenerationRequest> requests);

    /** Longest prompt plus generation, in tokens, that the model accepts. */
    int contextLength();

    /**
     * What about the backend changes its output (the model's identity, precision, device, context), for
     * a resume to compare: equal fingerprints promise the same generations for the same requests.
     */
    String fingerprint();

    /** The model's tokenizer, to count and truncate in the model's own tokens. */
    Tokenizer tokenizer();

    /** Number of tokens {@code text} encodes to (no special tokens added). */
    default int countTokens(String text) {
        return tokenizer().count(text);
    }

    @Override
    void close();
}
