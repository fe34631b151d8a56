package dev.kun.model;

import dev.kun.model.llama.LlamaConfig;
import dev.kun.model.checkpoint.WeightSource;
import dev.kun.model.Checkpoint;
import dev.kun.model.cpu.DeviceSpec;
import dev.kun.model.cpu.LayerPlacement;
import dev.kun.model.cpu.Precision;
import dev.kun.model.cpu.TensorParallel;
import dev.kun.model.generation.EngineLoop;
import dev.kun.model.generation.KvCache;
import dev.kun.model.generation.Scheduler;
import dev.kun.model.generation.Scorer;
import dev.kun.model.llama.Llama;
import dev.kun.model.llama.LlamaWeights;
import dev.kun.model.tokenizer.EngineTokenizer;
import dev.kun.model.tokenizer.TokenizerSource;
import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import dev.kun.error.KunException;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.GenerationStream;
import dev.kun.generate.TextGenerator;
import dev.kun.generate.TextScorer;
import java.util.stream.Stream;
import java.nio.file.Files;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process backend: a Llama-family checkpoint on DJL's PyTorch engine, generating with
 * continuous batching and a KV cache, and scoring texts by teacher forcing. Generation stops at the
 * request's stop ids and strings and at the checkpoint's end tokens (its eos ids, plus
 * {@code <|im_end|>} and {@code <|endoftext|>} when the tokenizer has them, as Yi chat models end
 * turns with either). A result's {@code tokenIds} and {@code tokenLogprobs} include the stop token
 * that ended it, its {@code text} does not (nor a stop string, nor anything after it); special tokens
 * are left out of the text. Thread-safe: one engine thread owns the model and runs every call's
 * requests together (see {@link EngineLoop}); scoring runs there too, between generations.
 *
 * <p>Memory: the weights once (in the chosen dtype) plus a KV cache of 2 x layers x maxBatch x kvHeads
 * x maxContext x headDim values, allocated at start and never grown; on the CPU only the pages of
 * positions actually reached are resident (see {@link KvCache}), on a GPU all of it is reserved, so a
 * run that does not fit fails at start. On the CPU the layers run as tensor-parallel shards, one per
 * thread ({@link TensorParallel}); results are reproducible for a given thread count.
 *
 * <p>A prompt must leave room for one generated token ({@code tokens < maxContext}); otherwise the
 * whole call fails with a bad-input error naming the request, before any work, so callers that
 * cannot guarantee this check {@link #countTokens} against {@link #maxContext()} first. Generation
 * ends with LENGTH when prompt plus generated tokens reach maxContext.
 */
public final class DjlGenerator implements TextGenerator, TextScorer {
    private static final Logger log = LoggerFactory.getLogger(DjlGenerator.class);

    /**
     * How to run the model.
     *
     * @param device        --device: cpu, cuda, cuda:N or auto
     * @param devices       --devices: CUDA ordinals to split layers over ("0,1"), or null
     * @param dtype         --dtype: auto, f32, f16 or bf16 (see {@link Precision})
     * @param maxBatch      sequences decoded together (KV cache slots)
     * @param maxContext    longest prompt plus generation; 0 = the model's, capped at 4096
     * @param threads       CPU threads, one tensor-parallel shard each (fewer when the kv heads or MLP
     *                      width do not divide); 0 = one per core
     * @param prefillTokens padded prompt tokens per prefill (and scoring) forward pass
     * @param tokenizerSource which tokenizer file of the checkpoint runs
     * @param prefixReuse   prefill a prefix that queued prompts share once, in a spare cache slot, and
     *                      copy its keys and values (see {@link Scheduler}); off prefills every prompt whole
     */
    public record Options(String device, String devices, String dtype, int maxBatch, int maxContext, int threads,
                          int prefillTokens, TokenizerSource tokenizerSource, boolean prefixReuse) {
        public Options {
            if (maxBatch < 1) throw KunException.usage("--max-batch must be >= 1: " + maxBatch);
            if (maxContext < 0) throw KunException.usage("--max-context must be >= 0: " + maxContext);
            if (threads < 0) throw KunException.usage("--threads must be >= 0: " + threads);
            if (prefillTokens < 1) throw KunException.usage("prefill tokens must be >= 1: " + prefillTokens);
        }

        /** These options with the tokenizer chosen automatically (tokenizer.json when present). */
        public Options(String device, String devices, String dtype, int maxBatch, int maxContext, int threads, int prefillTokens) {
            this(device, devices, dtype, maxBatch, maxContext, threads, prefillTokens, TokenizerSource.AUTO, prefixReuseByDefault());
        }

        /** These options with shared prefixes reused (unless {@code -Dkun.prefixReuse=false}). */
        public Options(String device, String devices, String dtype, int maxBatch, int maxContext, int threads, int prefillTokens,
                       TokenizerSource tokenizerSource) {
            this(device, devices, dtype, maxBatch, maxContext, threads, prefillTokens, tokenizerSource, prefixReuseByDefault());
        }

        /**
         * CPU, automatic dtype, 16 sequences, the model's context up to 4096, default threads, the tokenizer
         * chosen automatically, shared prefixes reused (unless {@code -Dkun.prefixReuse=false}, for comparison).
         */
        public static Options defaults() {
            return new Options("cpu", null, "auto", 16, 0, 0, 2048, TokenizerSource.AUTO, prefixReuseByDefault());
        }

        private static boolean prefixReuseByDefault() {
            return Boolean.parseBoolean(System.getProperty("kun.prefixReuse", "true"));
        }

        public Options withDevice(String device, String devices) {
            return new Options(device, devices, dtype, maxBatch, maxContext, threads, prefillTokens, tokenizerSource, prefixReuse);
        }

        public Options withMaxBatch(int n) {
            return new Options(device, devices, dtype, n, maxContext, threads, prefillTokens, tokenizerSource, prefixReuse);
        }

        public Options withMaxContext(int n) {
            return new Options(device, devices, dtype, maxBatch, n, threads, prefillTokens, tokenizerSource, prefixReuse);
        }

        public Options withThreads(int n) {
            return new Options(device, devices, dtype, maxBatch, maxContext, n, prefillTokens, tokenizerSource, prefixReuse);
        }

        /** Which tokenizer file of the checkpoint runs (see {@link TokenizerSource}). */
        public Options withTokenizerSource(TokenizerSource s) {
            return new Options(device, devices, dtype, maxBatch, maxContext, threads, prefillTokens, s, prefixReuse);
        }

        public Options withDtype(String d) {
            return new Options(device, devices, d, maxBatch, maxContext, threads, prefillTokens, tokenizerSource, prefixReuse);
        }

        public Options withPrefixReuse(boolean on) {
            return new Options(device, devices, dtype, maxBatch, maxContext, threads, prefillTokens, tokenizerSource, on);
        }
    }

    /** Context used when the options leave it to the model: enough for kun's 512 + 1024 tokens. */
    static final int DEFAULT_CONTEXT_CAP = 4096;

    private final NDManager root;
    private final LlamaWeights weights;
    private final TensorParallel parallel;
    private final Llama model;
    private final KvCache cache;
    private final EngineTokenizer tokenizer;
    private final Set<Integer> endTokens;
    private final Scheduler scheduler;
    private final EngineLoop engine;
    private final Scorer scorer;
    private String fingerprint;
    private boolean closed;

    /** Opens the checkpoint in {@code dir} and loads it as {@code options} say. */
    public static DjlGenerator open(Path dir, Options options) {
        Checkpoint checkpoint = Checkpoint.open(dir, options.tokenizerSource());
        try {
            Engine.getEngine("PyTorch");
            List<Device> devices = DeviceSpec.parse(options.device(), options.devices()).resolve();
            boolean cuda = devices.get(0).isGpu();
            Precision precision = Precision.choose(options.dtype(), cuda);
            log.info("model {}: {} layers on {}; {}", checkpoint.dir(), checkpoint.config().layers(), devices, precision.reason());
            LayerPlacement placement = LayerPlacement.even(checkpoint.config().layers(), devices);
            DjlGenerator generator = new DjlGenerator(checkpoint.config(), checkpoint.weights(), checkpoint.tokenizer(),
                    checkpoint.eosTokenIds(), placement, precision.dataType(), options);
            checkpoint.weights().close(); // every tensor is on its device now; the tokenizer stays open
            generator.fingerprint = fingerprint(checkpoint.dir(), options);
            return generator;
        } catch (RuntimeException e) {
            checkpoint.close();
            throw e;
        }
    }

    /**
     * A generator over already-opened parts; takes ownership of {@code tokenizer} (closed with this),
     * not of {@code source}, which may be closed once this returns.
     */
    public DjlGenerator(LlamaConfig config, WeightSource source, EngineTokenizer tokenizer, List<Integer> eosTokenIds,
                        LayerPlacement placement, DataType dtype, Options options) {
        this.root = NDManager.newBaseManager(placement.embeddingDevice());
        try {
            int context = options.maxContext() > 0
                    ? Math.min(options.maxContext(), config.maxContext())
                    : Math.min(DEFAULT_CONTEXT_CAP, config.maxContext());
            // On the CPU, one tensor-parallel shard per thread, each with PyTorch's intra-op threading
            // off (see TensorParallel); a GPU runs its layers whole.
            boolean gpu = placement.devices().stream().anyMatch(Device::isGpu);
            int threads = options.threads() > 0 ? options.threads() : Runtime.getRuntime().availableProcessors();
            int shards = gpu ? 1 : LlamaWeights.shardsFor(config, threads);
            if (!gpu) JniUtils.setNumThreads(shards > 1 ? 1 : threads);
            long t0 = System.nanoTime();
            this.weights = LlamaWeights.load(config, source, dtype, placement, shards, root);
            log.info("loaded {} MB of weights as {} in {} s{}{}{}", weights.bytes() / 1_000_000, dtype,
                    String.format("%.1f", (System.nanoTime() - t0) / 1e9),
                    shards > 1 ? ", in " + shards + " tensor-parallel shards" : "",
                    weights.packed() ? ", matrices packed for oneDNN" : "",
                    weights.embedding().table() == null ? "; the embedding is read per token from the checkpoint" : "");
            this.parallel = new TensorParallel(shards);
            this.model = new Llama(weights, context, parallel, root);
            // One slot more than the decode slots when shared prefixes are reused: the prefix lives there.
            int slots = options.maxBatch() + (options.prefixReuse() ? 1 : 0);
            this.cache = new KvCache(config.cacheShape(), placement, shards, slots, context, dtype, root);
            this.tokenizer = tokenizer;
            Set<Integer> end = new LinkedHashSet<>(eosTokenIds);
            tokenizer.specialTokenId("<|im_end|>").ifPresent(end::add);
            tokenizer.specialTokenId("<|endoftext|>").ifPresent(end::add);
            this.endTokens = Set.copyOf(end);
            this.scheduler = new Scheduler(model, cache, options.maxBatch(), options.prefixReuse() ? options.maxBatch() : -1,
                    tokenizer, endTokens, root, options.prefillTokens());
            this.scorer = new Scorer(model, cache, root, options.prefillTokens(), options.prefixReuse());
            this.fingerprint = "weights in memory: " + config;
            this.engine = new EngineLoop(scheduler, "kun-engine");
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    /**
     * Completes the requests with continuous batching, beside whatever else is submitted. An empty
     * prompt, or one that leaves no room in the context for a generated token, fails alone
     * ({@code empty_prompt}, {@code prompt_too_long}). A forward pass that throws is rethrown here.
     */
    @Override
    public List<Generation> generate(List<GenerationRequest> requests) {
        if (requests.isEmpty()) return List.of();
        Admission a = admission(requests);
        a.join(engine.submitAll(a.runnable, a.runnableIds));
        return a.results();
    }

    /**
     * Queues one request beside every other (continuous batching across callers and threads); the future
     * completes on the engine's thread, {@code onText} receives the text as it is decoded (never a stop
     * string, nor text a stop string might still claim). Both run on the engine's thread between steps,
     * so they must hand work off rather than block (a slow client would stall every sequence); an
     * {@code onText} that throws gives its request up. Cancelling the future frees the request's slot
     * at the next step. A request that cannot run completes at once as a failed generation.
     */
    @Override
    public CompletableFuture<Generation> submit(GenerationRequest request, Consumer<String> onText) {
        int[] ids = tokenizer.encode(request.prompt());
        Generation refused = refusal(ids);
        if (refused != null) return CompletableFuture.completedFuture(refused);
        return engine.submit(request, ids, onText);
    }

    /**
     * A stream of groups kept {@code window} deep (see {@link GenerationStream}): what decodes together
     * depends on the groups alone, so a rerun that submits the same groups repeats every bit.
     */
    @Override
    public GenerationStream stream(int window) {
        EngineLoop.Stream stream = engine.stream(window);
        return new GenerationStream() {
            @Override
            public List<CompletableFuture<Generation>> submit(List<GenerationRequest> group) {
                Admission a = admission(group);
                List<CompletableFuture<Generation>> runs = stream.submit(a.runnable, a.runnableIds);
                List<CompletableFuture<Generation>> out = new ArrayList<>(group.size());
                int k = 0;
                for (Generation refused : a.out) {
                    out.add(refused != null ? CompletableFuture.completedFuture(refused) : runs.get(k++));
                }
                return out;
            }

            @Override
            public void drain() {
                stream.drain();
            }

            @Override
            public void close() {
                stream.close();
            }
        };
    }

    /** Why a prompt of these ids cannot run, or null when it can. */
    private Generation refusal(int[] ids) {
        int n = ids.length;
        if (n == 0) return Generation.failed("empty_prompt", "the prompt is empty", 0);
        if (n >= maxContext()) {
            return Generation.failed("prompt_too_long", "the prompt has " + n + " tokens; the context holds "
                    + maxContext() + " (prompt plus at least one generated token)", n);
        }
        return null;
    }

    /** Requests encoded and split into those refused at once and those that run. */
    private Admission admission(List<GenerationRequest> requests) {
        List<String> prompts = new ArrayList<>(requests.size());
        for (GenerationRequest r : requests) prompts.add(r.prompt());
        List<int[]> ids = requests.isEmpty() ? List.of() : tokenizer.encodeAll(prompts);
        Admission a = new Admission(new Generation[requests.size()], new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < ids.size(); i++) {
            a.out[i] = refusal(ids.get(i));
            if (a.out[i] == null) {
                a.runnable.add(requests.get(i));
                a.runnableIds.add(ids.get(i));
            }
        }
        return a;
    }

    private record Admission(Generation[] out, List<GenerationRequest> runnable, List<int[]> runnableIds) {
        /** Waits for the runnable requests' futures and fills their places; a failed pass is rethrown. */
        void join(List<CompletableFuture<Generation>> futures) {
            int k = 0;
            for (int i = 0; i < out.length; i++) {
                if (out[i] != null) continue;
                try {
                    out[i] = futures.get(k++).join();
                } catch (CompletionException e) {
                    throw EngineLoop.rethrow(e.getCause());
                }
            }
        }

        List<Generation> results() {
            return List.of(out);
        }
    }

    /**
     * Teacher-forced log-probabilities: for each sequence, entry i is log p(ids[i + 1] | ids[0..i]) under
     * the raw model, so a sequence of n tokens gives n - 1 values (none for n < 2). Batched.
     */
    @Override
    public List<float[]> tokenLogprobs(List<int[]> sequences) {
        for (int i = 0; i < sequences.size(); i++) {
            if (sequences.get(i).length > maxContext()) {
                throw KunException.badInput("sequence " + i + " has " + sequences.get(i).length
                        + " tokens; the context holds " + maxContext());
            }
        }
        // On the engine's thread, between generation steps, once no sequence holds a slot.
        return engine.call(() -> scorer.tokenLogprobs(sequences));
    }

    /**
     * Next-token log-probabilities of {@code candidates} after each prefix, in one pass per prefix that
     * reads only its last position (batched as scoring is). A prefix must be non-empty and fit the context.
     */
    @Override
    public List<float[]> nextTokenLogprobs(List<int[]> prefixes, int[] candidates) {
        for (int i = 0; i < prefixes.size(); i++) {
            int n = prefixes.get(i).length;
            if (n == 0 || n > maxContext()) {
                throw KunException.badInput("prefix " + i + " has " + n + " tokens; the context holds " + maxContext());
            }
        }
        for (int c : candidates) {
            if (c < 0 || c >= model.config().vocabSize()) throw new IllegalArgumentException("candidate token " + c + " is not in the vocabulary");
        }
        // On the engine's thread, between generation steps, once no sequence holds a slot.
        return engine.call(() -> scorer.nextTokenLogprobs(prefixes, candidates));
    }

    /**
     * Log-probabilities of each text's tokens (encoded without special tokens added). With
     * {@code prependBos} and a tokenizer that has a BOS token, BOS is put in front as context, so
     * every token of the text gets a value (as Hugging Face perplexity with add_bos does); otherwise the
     * first token has none.
     */
    public List<float[]> textLogprobs(List<String> texts, boolean prependBos) {
        List<int[]> ids = tokenizer.encodeAll(texts);
        if (prependBos && tokenizer.bosTokenId().isPresent()) {
            int bos = tokenizer.bosTokenId().getAsInt();
            List<int[]> withBos = new ArrayList<>(ids.size());
            for (int[] t : ids) {
                int[] b = new int[t.length + 1];
                b[0] = bos;
                System.arraycopy(t, 0, b, 1, t.length);
                withBos.add(b);
            }
            ids = withBos;
        }
        return tokenLogprobs(ids);
    }

    @Override
    public int countTokens(String text) {
        return tokenizer.count(text);
    }


    /** Longest prompt plus generation (tokens). */
    public int maxContext() {
        return model.maxContext();
    }

    @Override
    public int contextLength() {
        return maxContext();
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    /**
     * What about an opened model changes its output, for the resume check: the model (its path and the
     * name, size and time of each of its files), dtype, device and context limit. Not the batch size: it
     * changes no record's random draws, only the last bits of the arithmetic, so a run may resume with a
     * smaller one (after running out of memory).
     */
    static String fingerprint(Path model, Options options) {
        StringBuilder sb = new StringBuilder();
        Path dir = model.toAbsolutePath().normalize();
        sb.append("model=").append(dir);
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(Files::isRegularFile).sorted().forEach(f -> {
                try {
                    sb.append(';').append(f.getFileName()).append(':').append(Files.size(f))
                            .append('@').append(Files.getLastModifiedTime(f).toMillis());
                } catch (IOException e) {
                    sb.append(';').append(f.getFileName()).append(":?");
                }
            });
        } catch (IOException e) {
            sb.append(";unlisted");
        }
        sb.append(";dtype=").append(options.dtype());
        sb.append(";device=").append(options.device());
        sb.append(";devices=").append(options.devices());
        sb.append(";max_context=").append(options.maxContext());
        // Only a chosen source is named, so fingerprints of runs that never chose one stay as they were.
        if (options.tokenizerSource() != TokenizerSource.AUTO) sb.append(";tokenizer=").append(options.tokenizerSource());
        return sb.toString();
    }

    /** Bytes of KV cache positions written so far (see {@link KvCache#bytesHeld}). */
    public long kvCacheBytesHeld() {
        return engine.call(cache::bytesHeld);
    }

    /**
     * What the engine has done since it was opened: decode passes and the mean occupancy of their
     * slots, prefills, prompt tokens and those reused from a shared prefix, generated tokens.
     */
    public Scheduler.Counters counters() {
        return engine.counters();
    }

    /** Times the engine had work but waited for a stream's next group (the producer's turnaround). */
    public long streamStalls() {
        return engine.stalls();
    }

    /** Token ids that end every generation. */
    public Set<Integer> endTokens() {
        return endTokens;
    }

    @Override
    public EngineTokenizer tokenizer() {
        return tokenizer;
    }

    public LlamaConfig config() {
        return model.config();
    }

    /** Fails whatever is still queued or decoding, then frees the model. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        engine.close();
        cache.close();
        model.close();
        parallel.close();
        weights.close();
        root.close();
        tokenizer.close();
    }
}
