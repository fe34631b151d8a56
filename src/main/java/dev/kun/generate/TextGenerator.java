package dev.kun.generate;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

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

    /**
     * Submits one request and returns at once; the future completes with its generation (or a failed
     * generation). {@code onText}, when not null, receives the generated text piece by piece as it is
     * decoded, on the backend's thread (a server streams it). Cancelling the future gives up the request
     * and frees what it held. A backend that batches continuously shares its slots between every request
     * submitted, whichever call it came from; this default runs it alone on the caller's thread.
     */
    default CompletableFuture<Generation> submit(GenerationRequest request, Consumer<String> onText) {
        Generation g = generate(List.of(request)).get(0);
        if (onText != null && !g.isFailure() && !g.text().isEmpty()) onText.accept(g.text());
        return CompletableFuture.completedFuture(g);
    }

    /**
     * The model's name as provenance writes it, where the backend knows it better than the command line
     * (the name a server serves it under); null leaves it to the command (the checkpoint folder's name).
     */
    default String servedModel() {
        return null;
    }

    /**
     * Opens a stream of request groups kept {@code window} groups deep (see {@link GenerationStream}): a
     * model stage hands over its next batch while the current one's last sequences finish. This
     * default runs each group at once, on the caller's thread, with {@link #generate}; a backend that
     * batches continuously overrides it.
     */
    default GenerationStream stream(int window) {
        return new GenerationStream() {
            @Override
            public List<CompletableFuture<Generation>> submit(List<GenerationRequest> group) {
                if (group.isEmpty()) return List.of();
                return generate(group).stream().map(CompletableFuture::completedFuture).toList();
            }

            @Override
            public void drain() {}

            @Override
            public void close() {}
        };
    }

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
