package dev.kun.testing;

import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.TextGenerator;
import dev.kun.generate.Tokenizer;
import java.util.List;

/** A {@link TextGenerator} that forwards every call to another; tests override what they fake (a crash, a delay). */
public class ForwardingGenerator implements TextGenerator {
    protected final TextGenerator inner;

    public ForwardingGenerator(TextGenerator inner) {
        this.inner = inner;
    }

    @Override
    public List<Generation> generate(List<GenerationRequest> requests) {
        return inner.generate(requests);
    }

    @Override
    public int contextLength() {
        return inner.contextLength();
    }

    @Override
    public String fingerprint() {
        return inner.fingerprint();
    }

    @Override
    public Tokenizer tokenizer() {
        return inner.tokenizer();
    }

    @Override
    public int countTokens(String text) {
        return inner.countTokens(text);
    }

    @Override
    public void close() {
        inner.close();
    }
}
