package dev.kun.testing;

import dev.kun.generate.FinishReason;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.TextGenerator;
import dev.kun.generate.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link TextGenerator} for stage logic: the "generation" spells out what it was asked
 * ({@code prompt|seed|temperature}), one "token" per code point, and every request is recorded, so a
 * test sees exactly which prompts, seeds and sampling settings reached the backend.
 */
public final class FakeGenerator implements TextGenerator {
    public final List<GenerationRequest> requests = new ArrayList<>();
    public final List<Integer> batchSizes = new ArrayList<>();
    public boolean closed;
    private int context = Integer.MAX_VALUE;
    private String fingerprint = "fake";
    private java.util.function.Function<GenerationRequest, String> reply =
            r -> r.prompt() + "|" + r.seed() + "|" + r.sampling().temperature();

    /** This generator with a context of {@code tokens} and the identity {@code name}; returns itself. */
    public FakeGenerator limits(int tokens, String name) {
        this.context = tokens;
        this.fingerprint = name;
        return this;
    }

    /**
     * This generator answering each request with {@code reply}'s text instead of the echo (cut to
     * max_tokens code points as the echo is, then finishing with "length"); returns itself.
     */
    public FakeGenerator replying(java.util.function.Function<GenerationRequest, String> reply) {
        this.reply = reply;
        return this;
    }

    @Override
    public List<Generation> generate(List<GenerationRequest> batch) {
        batchSizes.add(batch.size());
        List<Generation> out = new ArrayList<>();
        for (GenerationRequest r : batch) {
            requests.add(r);
            String text = reply.apply(r);
            int length = text.codePointCount(0, text.length());
            FinishReason reason = length > r.sampling().maxTokens() ? FinishReason.LENGTH : FinishReason.STOP;
            if (reason == FinishReason.LENGTH) {
                text = text.substring(0, text.offsetByCodePoints(0, r.sampling().maxTokens()));
                length = r.sampling().maxTokens();
            }
            out.add(new Generation(text, reason, countTokens(r.prompt()), length, null, null));
        }
        return out;
    }

    @Override
    public int contextLength() {
        return context;
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    /** One token per code point. */
    @Override
    public Tokenizer tokenizer() {
        return new Tokenizer() {
            @Override
            public int[] encode(String text) {
                return text.codePoints().toArray();
            }

            @Override
            public String decode(int[] ids) {
                return new String(ids, 0, ids.length);
            }
        };
    }

    @Override
    public void close() {
        closed = true;
    }
}
