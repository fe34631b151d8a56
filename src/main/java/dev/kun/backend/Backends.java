package dev.kun.backend;

import dev.kun.error.KunException;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.EndpointSpec;
import dev.kun.generate.TextGenerator;
import dev.kun.generate.TextScorer;
import dev.kun.generate.Tokenizer;
import dev.kun.model.DjlGenerator;
import dev.kun.model.cpu.DeviceSpec;
import dev.kun.model.cpu.Precision;
import dev.kun.model.checkpoint.HubCache;
import dev.kun.model.tokenizer.EngineTokenizer;
import dev.kun.model.tokenizer.TokenizerSource;
import dev.kun.openai.BatchExport;
import dev.kun.openai.BatchImport;
import dev.kun.openai.OpenAiGenerator;
import dev.kun.openai.ServerProfile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The backend switch: the one place that knows which implementations stand behind generate's
 * interfaces. Every model command opens its generator, scorer or tokenizer here: the in-process engine,
 * a pool of OpenAI-compatible servers, or an OpenAI batch file written or read back.
 */
public final class Backends {
    /** Where the API key for {@code --endpoint} comes from: the first of these variables that is set. */
    public static final List<String> API_KEY_VARIABLES = List.of("KUN_API_KEY", "OPENAI_API_KEY");

    private Backends() {}

    /** Checks every value of {@code spec} without touching a device, a server or the model; a bad one is a usage error. */
    public static void validate(BackendSpec spec) {
        if (spec.batchSize() < 1) throw KunException.usage("--batch-size must be >= 1: " + spec.batchSize());
        if (spec.maxContext() < 0) throw KunException.usage("--max-context must be >= 0: " + spec.maxContext());
        TokenizerSource.parse(spec.tokenizerSource());
        EndpointSpec endpoint = spec.endpoint();
        if (endpoint == null) {
            DeviceSpec.parse(spec.device(), spec.devices());
            Precision.choose(spec.dtype(), false);
            return;
        }
        if (!EndpointSpec.COMPLETIONS.equals(endpoint.api()) && !EndpointSpec.CHAT.equals(endpoint.api())) {
            throw KunException.usage("--endpoint-api must be completions or chat: " + endpoint.api());
        }
        if (endpoint.server() == null || ServerProfile.parse(endpoint.server()) == null) {
            throw KunException.usage("--server must be vllm, sglang, tgi, llamacpp or openai: " + endpoint.server());
        }
        if (endpoint.exportBatch() != null && endpoint.importBatch() != null) {
            throw KunException.usage("--export-batch and --import-batch exclude each other: export first, run the"
                    + " batch, then import its results");
        }
        if (endpoint.online()) {
            if (endpoint.urls().isEmpty()) throw KunException.usage("--endpoint needs a URL such as http://host:8000/v1");
            for (String url : endpoint.urls()) OpenAiGenerator.baseUrl(url);
        } else {
            if (!endpoint.urls().isEmpty()) {
                throw KunException.usage("--endpoint and " + (endpoint.exportBatch() != null ? "--export-batch" : "--import-batch")
                        + " exclude each other");
            }
            if (servedName(spec) == null) {
                throw KunException.usage((endpoint.exportBatch() != null ? "--export-batch" : "--import-batch")
                        + " needs the served model's name: --endpoint-model NAME, or --model DIR (its path as given,"
                        + " vLLM's default name)");
            }
            if (endpoint.importBatch() != null && !Files.isRegularFile(endpoint.importBatch())) {
                throw KunException.usage("--import-batch: no such file: " + endpoint.importBatch());
            }
        }
        positive("--endpoint-connect-timeout", endpoint.connectTimeoutSeconds());
        positive("--endpoint-timeout", endpoint.requestTimeoutSeconds());
        positive("--endpoint-patience", endpoint.patienceSeconds());

    }

    private static void positive(String option, double seconds) {
        if (!(seconds > 0) || Double.isInfinite(seconds)) throw KunException.usage(option + " must be > 0 seconds: " + seconds);
    }

    /** A generator for {@code spec}: the in-process engine on its checkpoint, or its endpoint. */
    public static TextGenerator openGenerator(BackendSpec spec) {
        return spec.endpoint() == null ? openEngine(spec) : openEndpoint(spec, System::getenv);
    }

    /** A scorer for {@code spec} (perplexity, logit verdicts): the in-process engine. */
    public static TextScorer openScorer(BackendSpec spec) {
        if (spec.endpoint() != null) {
            throw KunException.usage("scoring (perplexity, logit verdicts) needs the in-process engine: --model DIR,"
                    + " not --endpoint or a batch file");
        }
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

    /**
     * The endpoint generator of {@code spec}, its API key read with {@code environment} (tests pass their
     * own): a server pool, or a batch file written or read back.
     */
    public static TextGenerator openEndpoint(BackendSpec spec, Function<String, String> environment) {
        validate(spec);
        EndpointSpec endpoint = spec.endpoint();
        Path tokenizerDir = endpoint.tokenizer() == null ? null : HubCache.resolve(endpoint.tokenizer(), "tokenizer");
        EngineTokenizer tokenizer = tokenizerDir == null ? null : TokenizerSource.parse(spec.tokenizerSource()).open(tokenizerDir);
        String tokenizerName = tokenizerDir == null ? null : tokenizerDir.toAbsolutePath().normalize().toString();
        // The engine stops at these too (DjlGenerator); a server that takes stop ids is sent them.
        List<Integer> endTokens = new ArrayList<>();
        if (tokenizer != null) {
            tokenizer.specialTokenId("<|im_end|>").ifPresent(endTokens::add);
            tokenizer.specialTokenId("<|endoftext|>").ifPresent(endTokens::add);
        }
        if (endpoint.exportBatch() != null) {
            return BatchExport.open(endpoint.exportBatch(), endpoint.api(), endpoint.server(), servedName(spec),
                    spec.maxContext(), tokenizer, tokenizerName, endTokens);
        }
        if (endpoint.importBatch() != null) {
            return BatchImport.open(endpoint.importBatch(), endpoint.api(), endpoint.server(), servedName(spec),
                    spec.maxContext(), tokenizer, tokenizerName, endTokens);
        }
        return OpenAiGenerator.open(endpoint, spec.batchSize(), spec.maxContext(), tokenizer, tokenizerName, endTokens,
                apiKey(environment));
    }

    /** The API key: the first of {@link #API_KEY_VARIABLES} that is set and not empty, or null. */
    static String apiKey(Function<String, String> environment) {
        for (String name : API_KEY_VARIABLES) {
            String value = environment.apply(name);
            if (value != null && !value.isBlank()) return value.strip();
        }
        return null;
    }

    /** The model name a batch file's requests carry: --endpoint-model, else --model as given. */
    private static String servedName(BackendSpec spec) {
        if (spec.endpoint().model() != null) return spec.endpoint().model();
        return spec.model() == null ? null : spec.model().toString();
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
