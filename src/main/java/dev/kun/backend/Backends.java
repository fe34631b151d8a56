package dev.kun.backend;

import dev.kun.error.KunException;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.TextGenerator;
import dev.kun.generate.TextScorer;
import dev.kun.generate.Tokenizer;
import dev.kun.model.DjlGenerator;
import dev.kun.model.cpu.DeviceSpec;
import dev.kun.model.cpu.Precision;
import dev.kun.model.checkpoint.HubCache;
import dev.kun.model.tokenizer.TokenizerSource;
import java.nio.file.Path;

/**
 * The backend switch: the one place that knows which implementations stand behind generate's
 * interfaces. Every model command opens its generator, scorer or tokenizer here.
 */
public final class Backends {
    private Backends() {}

    /** Checks every value of {@code spec} without touching a device or the model; a bad one is a usage error. */
    public static void validate(BackendSpec spec) {
        DeviceSpec.parse(spec.device(), spec.devices());
        Precision.choose(spec.dtype(), false);
        if (spec.batchSize() < 1) throw KunException.usage("--batch-size must be >= 1: " + spec.batchSize());
        if (spec.maxContext() < 0) throw KunException.usage("--max-context must be >= 0: " + spec.maxContext());
        TokenizerSource.parse(spec.tokenizerSource());
    }

    /** A generator for {@code spec}: the in-process engine on its checkpoint. */
    public static TextGenerator openGenerator(BackendSpec spec) {
        return openEngine(spec);
    }

    /** A scorer for {@code spec} (perplexity, logit verdicts): the in-process engine. */
    public static TextScorer openScorer(BackendSpec spec) {
        return openEngine(spec);
    }

    /** {@link #openTokenizer(Path, String)} with the tokenizer file chosen automatically. */
    public static Tokenizer openTokenizer(Path dir) {
        return openTokenizer(dir, "auto");
    }

    /**
     * The tokenizer of the Hugging Face checkpoint or tokenizer folder {@code dir} (or a repository in
     * the hub cache), from the file {@code source} names ({@code auto}, {@code tokenizer.json},
     * {@code sentencepiece}).
     */
    public static Tokenizer openTokenizer(Path dir, String source) {
        return TokenizerSource.parse(source).open(HubCache.resolve(dir, "tokenizer"));
    }

    private static DjlGenerator openEngine(BackendSpec spec) {
        validate(spec);
        DjlGenerator.Options options = DjlGenerator.Options.defaults()
                .withDevice(spec.device(), spec.devices())
                .withDtype(spec.dtype())
                .withMaxBatch(spec.batchSize())
                .withMaxContext(spec.maxContext())
                .withTokenizerSource(TokenizerSource.parse(spec.tokenizerSource()));
        return DjlGenerator.open(spec.model(), options);
    }
}
