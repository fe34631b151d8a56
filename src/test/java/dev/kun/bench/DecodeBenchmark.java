package dev.kun.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.TextGenerator;
import dev.kun.model.DjlGenerator;
import dev.kun.model.llama.LlamaConfig;
import dev.kun.record.Json;
import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The engine's figures of issue 3 on a random Llama of the peers' shape (hidden 768, 12 layers, 12
 * heads, intermediate 2048, vocab 32000, F32; 134M parameters, 110M read per decoded token), CPU:
 * memory bandwidth by a STREAM-style copy and the bandwidth ceiling it implies, batch-1 decode,
 * prefill, batch-32 aggregate decode, and peak RSS against weights plus KV cache, all in one run so
 * that the ratios hold on a noisy machine. Not a test (surefire skips *Benchmark); run through
 * scripts/bench-engine.sh, which writes the checkpoint in a separate JVM first (writing it here would
 * leave the writer's heap in the peak RSS).
 *
 * <pre>
 * DecodeBenchmark write DIR          writes the checkpoint (F32 safetensors, real tokenizer.json)
 * DecodeBenchmark run DIR [options]  measures; one JSON line on stdout, a summary on stderr
 *   --threads N (2)  --decode-tokens N (128)  --prefill-tokens N (512)  --batch N (32)
 *   --repeats N (3, the median is reported)  --profile (stack samples of each phase on stderr)
 * </pre>
 */
public final class DecodeBenchmark {
    private static final int HIDDEN = 768;
    private static final int LAYERS = 12;
    private static final int HEADS = 12;
    private static final int INTERMEDIATE = 2048;
    private static final int VOCAB = 32000;

    private int threads = 2;
    private int decodeTokens = 128;
    private int prefillTokens = 512;
    private int batch = 32;
    private int repeats = 3;
    private boolean profile;

    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals("write")) {
            write(Path.of(args[1]));
        } else if (args.length >= 2 && args[0].equals("run")) {
            DecodeBenchmark b = new DecodeBenchmark();
            b.parse(Arrays.copyOfRange(args, 2, args.length));
            b.run(Path.of(args[1]));
        } else {
            System.err.println("usage: DecodeBenchmark write DIR | run DIR [--threads N] [--decode-tokens N]"
                    + " [--prefill-tokens N] [--batch N] [--repeats N] [--profile]");
            System.exit(2);
        }
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--decode-tokens" -> decodeTokens = Integer.parseInt(args[++i]);
                case "--prefill-tokens" -> prefillTokens = Integer.parseInt(args[++i]);
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--repeats" -> repeats = Integer.parseInt(args[++i]);
                case "--profile" -> profile = true;
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
    }

    static TinyCheckpoint shape() {
        return TinyCheckpoint.builder()
                .hidden(HIDDEN).layers(LAYERS).heads(HEADS).kvHeads(HEADS).intermediate(INTERMEDIATE)
                .vocab(VOCAB).maxPositions(4096).dtype("F32").tied(false).seed(20261125)
                .build();
    }

    private static void write(Path dir) {
        long t0 = System.nanoTime();
        shape().write(dir);
        System.err.printf("wrote %s in %.1f s%n", dir, (System.nanoTime() - t0) / 1e9);
    }

    private void run(Path dir) throws Exception {
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new IllegalStateException(dir + " has no checkpoint: run `DecodeBenchmark write " + dir + "` first");
        }
        LlamaConfig config = LlamaConfig.read(dir);
        long weightBytes = 4 * config.parameterCount();
        // Read per decoded token: everything but the embedding table (one row of it is read).
        long readPerToken = weightBytes - 4L * config.vocabSize() * config.hiddenSize()
                + (config.tiedEmbeddings() ? 4L * config.vocabSize() * config.hiddenSize() : 0);

        // The runtime before any model: the JVM and libtorch's own resident memory (~200 MB here,
        // whatever the model), reported beside the peak so the engine's own overhead shows.
        ai.djl.engine.Engine.getEngine("PyTorch");
        long runtimeBytes = ProcessMemory.rssBytes();
        double bandwidthBefore = StreamCopy.bestGbPerSecond(threads, 256 << 20, 8);
        boolean peakReset = ProcessMemory.resetPeak();
        log("STREAM copy (%d threads): %.1f GB/s", threads, bandwidthBefore);

        long t0 = System.nanoTime();
        ObjectNode figures = Json.MAPPER.createObjectNode();
        try (TextGenerator generator = BenchEngine.open(dir, threads, batch, prefillTokens + decodeTokens + 64)) {
            double loadSeconds = (System.nanoTime() - t0) / 1e9;
            log("loaded in %.1f s, %s", loadSeconds, ProcessMemory.breakdown());

            List<String> shortPrompts = new ArrayList<>();
            for (int i = 0; i < batch; i++) shortPrompts.add("the " + i + " in a " + (char) ('a' + i % 26) + " at the");
            String longPrompt = promptOfTokens(generator, prefillTokens);

            // Warm-up: JIT, allocator, libtorch kernels.
            timed(generator, List.of(shortPrompts.get(0)), 16);
            timed(generator, List.of(longPrompt), 1);
            timed(generator, shortPrompts, 4);
            log("warmed up: %s", ProcessMemory.breakdown());

            Phase b1 = decodePhase(generator, List.of(shortPrompts.get(0)), "batch-1 decode");
            log("batch-1 decode: %.1f tokens/s; %s", b1.tokensPerSecond, ProcessMemory.breakdown());
            Phase pre = prefillPhase(generator, longPrompt);
            log("prefill %d: %.1f tokens/s; %s", prefillTokens, pre.tokensPerSecond, ProcessMemory.breakdown());
            Phase b32 = decodePhase(generator, shortPrompts, "batch-" + batch + " decode");
            log("batch-%d decode: %.1f tokens/s; %s", batch, b32.tokensPerSecond, ProcessMemory.breakdown());

            long peak = ProcessMemory.peakRssBytes();
            // The positions the cache holds: every slot's longest sequence so far (the prefill's slot
            // keeps its 512 positions beside the batch's), which is the cache's resident memory.
            long kvBytes = ((DjlGenerator) generator).kvCacheBytesHeld();
            double bandwidthAfter;
            try {
                bandwidthAfter = StreamCopy.bestGbPerSecond(threads, 256 << 20, 8);
            } catch (OutOfMemoryError e) {
                log("second STREAM run failed (%s); using the first alone", e.getMessage());
                bandwidthAfter = bandwidthBefore;
            }
            double bandwidth = (bandwidthBefore + bandwidthAfter) / 2;
            double ceiling = bandwidth * 1e9 / readPerToken;

            figures.put("shape", "hidden 768, 12 layers, 12 heads, intermediate 2048, vocab 32000, F32");
            figures.put("threads", threads);
            figures.put("bandwidth_gbps", round(bandwidth));
            figures.put("bandwidth_before_gbps", round(bandwidthBefore));
            figures.put("bandwidth_after_gbps", round(bandwidthAfter));
            figures.put("weight_bytes", weightBytes);
            figures.put("weight_bytes_read_per_token", readPerToken);
            figures.put("ceiling_tokens_per_s", round(ceiling));
            figures.put("decode_b1_tokens_per_s", round(b1.tokensPerSecond));
            figures.put("decode_b1_of_ceiling", round(b1.tokensPerSecond / ceiling));
            figures.put("prefill_tokens", prefillTokens);
            figures.put("prefill_tokens_per_s", round(pre.tokensPerSecond));
            figures.put("decode_batch", batch);
            figures.put("decode_batch_tokens_per_s", round(b32.tokensPerSecond));
            figures.put("decode_batch_over_b1", round(b32.tokensPerSecond / b1.tokensPerSecond));
            figures.put("peak_rss_bytes", peak);
            figures.put("peak_rss_reset", peakReset);
            figures.put("kv_cache_bytes", kvBytes);
            figures.put("peak_rss_over_weights_plus_kv", round((double) peak / (weightBytes + kvBytes)));
            figures.put("runtime_rss_bytes", runtimeBytes);
            figures.put("peak_rss_above_runtime_over_weights_plus_kv", round((double) (peak - runtimeBytes) / (weightBytes + kvBytes)));
            figures.put("load_seconds", round(loadSeconds));
            figures.put("early_stops", b1.earlyStops + b32.earlyStops);

            log("");
            log("bandwidth %.1f GB/s (before %.1f, after %.1f) / %.0f MB read per token = ceiling %.1f tokens/s",
                    bandwidth, bandwidthBefore, bandwidthAfter, readPerToken / 1e6, ceiling);
            log("batch-1 decode   %7.1f tokens/s  = %3.0f%% of ceiling   (target >= 50%%)", b1.tokensPerSecond,
                    100 * b1.tokensPerSecond / ceiling);
            log("prefill %4d      %7.1f tokens/s                      (target >= 500)", prefillTokens, pre.tokensPerSecond);
            log("batch-%d decode  %7.1f tokens/s  = %4.1fx batch 1      (target >= 8x)", batch, b32.tokensPerSecond,
                    b32.tokensPerSecond / b1.tokensPerSecond);
            log("peak RSS %.0f MB = %.2fx (weights %.0f MB + KV %.0f MB)   (target <= 1.3x)%s", peak / 1e6,
                    (double) peak / (weightBytes + kvBytes), weightBytes / 1e6, kvBytes / 1e6,
                    peakReset ? "" : "  [VmHWM reset refused: includes the STREAM buffers]");
            log("  of which %.0f MB is the runtime before any model (JVM + libtorch): peak above it = %.2fx (weights + KV)",
                    runtimeBytes / 1e6, (double) (peak - runtimeBytes) / (weightBytes + kvBytes));
            if (b1.earlyStops + b32.earlyStops > 0) {
                log("note: %d sequences stopped before their token budget; rates use the tokens actually generated",
                        b1.earlyStops + b32.earlyStops);
            }
        }
        System.out.println(figures);
    }

    private record Phase(double tokensPerSecond, int earlyStops) {}

    /**
     * Decode rate without prefill: time(1 + N tokens) - time(1 token) over the N extra tokens, each
     * the median of {@link #repeats} runs.
     */
    private Phase decodePhase(TextGenerator g, List<String> prompts, String name) {
        StackSampler sampler = profile ? new StackSampler(engineThread(), 5) : null;
        double[] one = new double[repeats];
        double[] full = new double[repeats];
        long generated = 0;
        int early = 0;
        for (int r = 0; r < repeats; r++) {
            one[r] = timed(g, prompts, 1).seconds;
            Run run = timed(g, prompts, decodeTokens + 1);
            full[r] = run.seconds;
            generated = run.generated;
            early = run.earlyStops;
        }
        if (sampler != null) {
            sampler.close();
            log("profile of %s:%n%s", name, sampler.report(12));
        }
        double seconds = median(full) - median(one);
        long extra = generated - prompts.size();
        return new Phase(extra / seconds, early);
    }

    private Phase prefillPhase(TextGenerator g, String prompt) {
        StackSampler sampler = profile ? new StackSampler(engineThread(), 5) : null;
        double[] t = new double[repeats];
        for (int r = 0; r < repeats; r++) t[r] = timed(g, List.of(prompt), 1).seconds;
        log("prefill passes (s): %s", Arrays.toString(t));
        if (sampler != null) {
            sampler.close();
            log("profile of prefill:%n%s", sampler.report(12));
        }
        return new Phase(g.countTokens(prompt) / median(t), 0);
    }

    /** The thread that runs the model's passes (the caller only waits for their results). */
    static Thread engineThread() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("kun-engine")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no kun-engine thread"));
    }

    private record Run(double seconds, long generated, int earlyStops) {}

    private static Run timed(TextGenerator g, List<String> prompts, int maxTokens) {
        SamplingParams greedy = SamplingParams.greedy(maxTokens);
        List<GenerationRequest> requests = new ArrayList<>();
        for (String p : prompts) requests.add(new GenerationRequest(p, greedy, 0));
        long t0 = System.nanoTime();
        List<Generation> out = g.generate(requests);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long generated = 0;
        int early = 0;
        for (Generation gen : out) {
            generated += gen.generatedTokens();
            if (gen.generatedTokens() < maxTokens) early++;
        }
        return new Run(seconds, generated, early);
    }

    /** A prompt of exactly {@code n} tokens: CJK characters the tokenizer holds as single tokens. */
    private static String promptOfTokens(TextGenerator g, int n) {
        String alphabet = "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < n; i++) sb.append(alphabet.charAt((i * 7 + i / 31) % alphabet.length()));
        String s = sb.toString();
        int count = g.countTokens(s);
        while (count > n) {
            s = s.substring(0, s.length() - 1);
            count = g.countTokens(s);
        }
        if (count != n) throw new IllegalStateException("could not build a " + n + "-token prompt (got " + count + ")");
        return s;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static void log(String format, Object... args) {
        System.err.println(String.format(format, args));
    }
}
