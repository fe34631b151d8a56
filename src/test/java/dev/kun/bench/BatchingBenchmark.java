package dev.kun.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.generate.GenerateStage;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.GenerationStream;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.Seeds;
import dev.kun.generate.TextGenerator;
import dev.kun.generate.Tokenizer;
import dev.kun.model.DjlGenerator;
import dev.kun.model.generation.Scheduler;
import dev.kun.pipeline.Outcome;
import dev.kun.pipeline.RunConfig;
import dev.kun.pipeline.Stage;
import dev.kun.pipeline.StageRunner;
import dev.kun.generate.PromptStage;
import dev.kun.generate.Provenance;
import dev.kun.judge.JudgeConfig;
import dev.kun.judge.JudgeLogitsStage;
import dev.kun.judge.JudgeTask;
import dev.kun.label.LabelConfig;
import dev.kun.label.LabelTask;
import dev.kun.prompt.LabelPrompt;
import dev.kun.prompt.PointPrompt;
import dev.kun.record.Json;
import dev.kun.record.KunRecord;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The engine's figures of issue 13 on the random benchmark Llama (see {@link DecodeBenchmark}), CPU:
 *
 * <ul>
 *   <li><b>label</b>: {@code kun label}'s stage (PromptStage with LabelTask, the method's template and
 *       sampling) over the first {@code --records} corpus documents of at most {@code --max-doc-tokens}
 *       tokens (512: what the method's cleansing keeps), against {@code kun generate}'s stage over the
 *       same prompts rendered with {@link LabelPrompt}, both through StageRunner with the commands'
 *       batching (4 x slots records per batch, each next batch handed over early): tokens/s and tokens
 *       per CPU-second of both, and the mean occupancy of the decode slots. Generation lengths vary 10x:
 *       each request's max_tokens is 8..80 ({@code --gen-tokens}), from its seed (a random model rarely
 *       stops by itself).
 *   <li><b>direct</b> (optional): the engine's {@code generate()} with every request at once.
 *   <li><b>strict</b> (optional): the label stage without reading ahead (each batch alone), for the
 *       occupancy that reading ahead recovers and the records whose sampled text differs.
 *   <li><b>judge</b>: {@code kun judge}'s stage (JudgeTask, the point prompt) over the first
 *       {@code --judge-records} seed instructions, greedy, {@code --judge-max-tokens} tokens, with
 *       shared-prefix reuse off and on: records/s of each, and whether outputs and rejects are equal.
 *   <li><b>judge-logits</b> (optional): {@code kun judge --verdict-from logits}'s stage on the same
 *       instructions, reuse off and on: records/s, and whether the verdicts agree.
 * </ul>
 *
 * <pre>
 * BatchingBenchmark run DIR [--threads 2] [--slots 16] [--records 512] [--max-doc-tokens 512] [--gen-tokens 8..80]
 *   [--judge-records 128] [--judge-max-tokens 8] [--corpus FILE] [--seed-set FILE]
 *   [--phases label,judge[,direct][,strict][,judge-logits]]
 * </pre>
 * Not a test (surefire skips *Benchmark); run through scripts/bench-batching.sh. One JSON line on stdout.
 */
public final class BatchingBenchmark {
    private int threads = 2;
    private int slots = 16;
    private int records = 512;
    private int judgeRecords = 128;
    private int judgeMaxTokens = 8;
    private int maxDocTokens = 512;
    private int fewestTokens = 8;
    private int mostTokens = 80;
    private Path corpus = Path.of("../shared/data/corpus-cmrc2018.jsonl");
    private Path seedSet = Path.of("../shared/data/seed-coig-kun.jsonl");
    private List<String> phases = List.of("label", "judge");

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || !args[0].equals("run")) {
            System.err.println("usage: BatchingBenchmark run DIR [--threads N] [--slots N] [--records N] [--judge-records N]"
                    + " [--judge-max-tokens N] [--max-doc-tokens N] [--gen-tokens A..B] [--corpus FILE] [--seed-set FILE] [--phases label,judge,direct,strict,judge-logits]");
            System.exit(2);
        }
        BatchingBenchmark b = new BatchingBenchmark();
        for (int i = 2; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> b.threads = Integer.parseInt(args[++i]);
                case "--slots" -> b.slots = Integer.parseInt(args[++i]);
                case "--records" -> b.records = Integer.parseInt(args[++i]);
                case "--judge-records" -> b.judgeRecords = Integer.parseInt(args[++i]);
                case "--judge-max-tokens" -> b.judgeMaxTokens = Integer.parseInt(args[++i]);
                case "--max-doc-tokens" -> b.maxDocTokens = Integer.parseInt(args[++i]);
                case "--gen-tokens" -> {
                    String[] range = args[++i].split("\\.\\.");
                    b.fewestTokens = Integer.parseInt(range[0]);
                    b.mostTokens = Integer.parseInt(range[1]);
                }
                case "--corpus" -> b.corpus = Path.of(args[++i]);
                case "--seed-set" -> b.seedSet = Path.of(args[++i]);
                case "--phases" -> b.phases = List.of(args[++i].split(","));
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        b.run(Path.of(args[1]));
    }

    private void run(Path model) throws Exception {
        Path work = Files.createTempDirectory("kun-bench-batching");
        ObjectNode figures = Json.MAPPER.createObjectNode();
        figures.put("shape", "hidden 768, 12 layers, 12 heads, intermediate 2048, vocab 32000, F32");
        figures.put("threads", threads);
        figures.put("slots", slots);
        if (phases.contains("label") || phases.contains("direct") || phases.contains("strict")) label(model, work, figures);
        if (phases.contains("judge")) judge(model, work, figures);
        if (phases.contains("judge-logits")) judgeLogits(model, work, figures);
        System.out.println(figures);
        try (var files = Files.walk(work)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    // ---- label: kun label's stage against kun generate's over the same prompts, and the slots' occupancy ----

    private void label(Path model, Path work, ObjectNode figures) throws Exception {
        Path documents = work.resolve("label-documents.jsonl");
        Path prompts = work.resolve("label-prompts.jsonl");
        List<String[]> docs;
        try (Tokenizer t = dev.kun.backend.Backends.openTokenizer(model)) {
            // The documents the method's cleansing keeps (kun seed --max-tokens 512), in corpus order.
            docs = firstRecords(corpus, records, "text", text -> maxDocTokens <= 0 || t.count(text) <= maxDocTokens);
        }
        writeRecords(documents, docs, "text", text -> text);
        writeRecords(prompts, docs, "prompt", LabelPrompt::render);
        long runSeed = 0;
        try (DjlGenerator engine = open(model, true)) {
            VariedLengths varied = new VariedLengths(engine, fewestTokens, mostTokens);
            // The method's label stage, keeping the instructions that ran out of tokens (most do here), so
            // every record is written as the stage writes its output.
            LabelConfig method = LabelConfig.method(Provenance.of("bench", engine.fingerprint()));
            LabelConfig config = new LabelConfig(method.textField(), method.template(), method.chat(), false, true, true,
                    method.provenance());
            // The label stage's own sampling (the method's, stopping at the end of the turn), for both stages.
            SamplingParams sampling = config.defaultSampling();
            varied.generate(List.of(new GenerationRequest(LabelPrompt.render("预热"), SamplingParams.greedy(4), 1)));
            log("label: %d documents, %d to %d prompt tokens", docs.size(),
                    docs.stream().mapToInt(d -> engine.countTokens(LabelPrompt.render(d[1]))).min().orElse(0),
                    docs.stream().mapToInt(d -> engine.countTokens(LabelPrompt.render(d[1]))).max().orElse(0));
            Run label = null;
            if (phases.contains("label")) {
                label = timeStage(engine, new PromptStage(varied, new LabelTask(config), sampling, runSeed, 4 * slots),
                        documents, work.resolve("label-stage.jsonl"), "text");
                log("kun label's stage (reading ahead): %s", label);
                Run generate = timeStage(engine, new GenerateStage(varied, sampling, runSeed, "prompt", 4 * slots),
                        prompts, work.resolve("label-generate.jsonl"), "prompt");
                log("kun generate's stage on the rendered prompts: %s", generate);
                figures.put("label_records", docs.size());
                figures.put("label_max_tokens", fewestTokens + ".." + mostTokens + " by request");
                put(figures, "label_stage", label);
                put(figures, "label_generate_stage", generate);
                figures.put("label_over_generate_tokens_per_s", round(label.tokensPerSecond() / generate.tokensPerSecond()));
                figures.put("label_over_generate_tokens_per_cpu_s", round(label.tokensPerCpuSecond() / generate.tokensPerCpuSecond()));
                log("label / generate: %.3f in tokens/s, %.3f in tokens per CPU-second (target >= 0.9); slot occupancy %.1f%%"
                        + " (target >= 90%%); the same engine passes: %s", label.tokensPerSecond() / generate.tokensPerSecond(),
                        label.tokensPerCpuSecond() / generate.tokensPerCpuSecond(), 100 * label.counters.occupancy(),
                        label.counters.equals(generate.counters));
            }
            if (phases.contains("direct")) {
                List<GenerationRequest> requests = new ArrayList<>();
                for (String[] d : docs) {
                    requests.add(new GenerationRequest(LabelPrompt.render(d[1]), sampling, Seeds.forRecord(runSeed, d[0])));
                }
                Scheduler.Counters before = engine.counters();
                long cpu0 = cpuNanos();
                long t0 = System.nanoTime();
                varied.generate(requests);
                Run direct = new Run((System.nanoTime() - t0) / 1e9, (cpuNanos() - cpu0) / 1e9,
                        engine.counters().since(before), 0);
                log("the engine's generate(), every request at once: %s", direct);
                put(figures, "label_generate_all_at_once", direct);
            }
            if (phases.contains("strict")) {
                Run strict = timeStage(engine, new Alone(new PromptStage(varied, new LabelTask(config), sampling, runSeed, 4 * slots)),
                        documents, work.resolve("label-strict.jsonl"), "text");
                log("kun label's stage, each batch alone: %s", strict);
                put(figures, "label_stage_batches_alone", strict);
                if (label != null) {
                    // Other batch shapes, other last bits: how often that changes a sampled record.
                    int differing = 0;
                    int written = 0;
                    for (String suffix : List.of("", ".rejects")) {
                        List<String> a = Files.readAllLines(work.resolve("label-stage.jsonl" + suffix));
                        List<String> b = Files.readAllLines(work.resolve("label-strict.jsonl" + suffix));
                        for (int i = 0; i < Math.min(a.size(), b.size()); i++) if (!a.get(i).equals(b.get(i))) differing++;
                        differing += Math.abs(a.size() - b.size());
                        written += a.size();
                    }
                    figures.put("label_records_differing_ahead_vs_alone", differing);
                    log("%d of %d records (output and rejects) differ between reading ahead and each batch alone", differing, written);
                }
            }
        }
    }

    // ---- judge: kun judge's stage with and without shared-prefix reuse ----

    private void judge(Path model, Path work, ObjectNode figures) throws Exception {
        Path input = work.resolve("judge-instructions.jsonl");
        List<String[]> instructions = firstRecords(seedSet, judgeRecords, "instruction", text -> true);
        writeRecords(input, instructions, "instruction", text -> text);
        Run[] runs = new Run[2];
        Map<Long, Generation>[] gens = new Map[2];
        for (int reuse = 0; reuse < 2; reuse++) {
            try (DjlGenerator engine = open(model, reuse == 1)) {
                VariedLengths recorder = new VariedLengths(engine, 0, 0);
                JudgeConfig config = JudgeConfig.of(JudgeConfig.Rubric.KUN, Provenance.of("bench", engine.fingerprint()));
                // Greedy, as the issue asks, and a verdict's length (【好】 and the end of the turn).
                SamplingParams greedy = SamplingParams.greedy(judgeMaxTokens).withStopStrings(config.chat().stops());
                recorder.generate(List.of(new GenerationRequest(PointPrompt.render("预热"), SamplingParams.greedy(2), 1)));
                recorder.generate(List.of(new GenerationRequest(PointPrompt.render("预热"), SamplingParams.greedy(2), 1),
                        new GenerationRequest(PointPrompt.render("再预热"), SamplingParams.greedy(2), 2)));
                recorder.seen.clear();
                runs[reuse] = timeStage(engine, new PromptStage(recorder, new JudgeTask(config), greedy, 0, 4 * slots),
                        input, work.resolve("judge-" + reuse + ".jsonl"), "instruction");
                gens[reuse] = recorder.seen;
                log("kun judge's stage, prefix reuse %s: %s; %.2f records/s", reuse == 1 ? "on" : "off", runs[reuse],
                        instructions.size() / runs[reuse].seconds);
            }
        }
        boolean equal = Arrays.equals(Files.readAllBytes(work.resolve("judge-0.jsonl")), Files.readAllBytes(work.resolve("judge-1.jsonl")))
                && Arrays.equals(Files.readAllBytes(work.resolve("judge-0.jsonl.rejects")),
                        Files.readAllBytes(work.resolve("judge-1.jsonl.rejects")));
        double worst = 0;
        for (Map.Entry<Long, Generation> e : gens[0].entrySet()) {
            Generation other = gens[1].get(e.getKey());
            float[] a = e.getValue().tokenLogprobs();
            float[] b = other.tokenLogprobs();
            for (int k = 0; k < Math.min(a.length, b.length); k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
        }
        figures.put("judge_records", instructions.size());
        figures.put("judge_max_tokens", judgeMaxTokens);
        figures.put("judge_prompt_tokens_shared", sharedTokens(model, instructions));
        put(figures, "judge_no_reuse", runs[0]);
        put(figures, "judge_reuse", runs[1]);
        figures.put("judge_reuse_speedup", round(runs[0].seconds / runs[1].seconds));
        figures.put("judge_reuse_cpu_speedup", round(runs[0].cpuSeconds / runs[1].cpuSeconds));
        figures.put("judge_outputs_identical", equal);
        figures.put("judge_max_abs_logprob_difference", worst);
        log("judge: prefix reuse %.2fx the records/s, %.2fx per CPU-second (target >= 3x); outputs identical: %s; generated"
                + " tokens' log-probabilities differ by at most %.2e", runs[0].seconds / runs[1].seconds,
                runs[0].cpuSeconds / runs[1].cpuSeconds, equal, worst);
    }

    // ---- judge --verdict-from logits: one scoring pass per record, the shared prefix once per call ----

    private void judgeLogits(Path model, Path work, ObjectNode figures) throws Exception {
        Path input = work.resolve("judge-instructions.jsonl");
        List<String[]> instructions = firstRecords(seedSet, judgeRecords, "instruction", text -> true);
        writeRecords(input, instructions, "instruction", text -> text);
        Run[] runs = new Run[2];
        for (int reuse = 0; reuse < 2; reuse++) {
            try (DjlGenerator engine = open(model, reuse == 1)) {
                JudgeConfig config = JudgeConfig.of(JudgeConfig.Rubric.KUN, Provenance.of("bench", engine.fingerprint()));
                engine.nextTokenLogprobs(List.of(engine.tokenizer().encode(PointPrompt.render("预热"))), new int[] {1});
                runs[reuse] = timeStage(engine, new JudgeLogitsStage(engine, config, 4 * slots), input,
                        work.resolve("judge-logits-" + reuse + ".jsonl"), "instruction");
                log("kun judge --verdict-from logits, prefix reuse %s: %.1f s (%.1f CPU s), %.2f records/s",
                        reuse == 1 ? "on" : "off", runs[reuse].seconds, runs[reuse].cpuSeconds, instructions.size() / runs[reuse].seconds);
            }
        }
        // Verdicts must agree; the probabilities written beside them may differ in the last bits.
        List<JsonNode> a = readJsonl(work.resolve("judge-logits-0.jsonl"));
        List<JsonNode> b = readJsonl(work.resolve("judge-logits-1.jsonl"));
        List<JsonNode> ra = readJsonl(work.resolve("judge-logits-0.jsonl.rejects"));
        List<JsonNode> rb = readJsonl(work.resolve("judge-logits-1.jsonl.rejects"));
        boolean sameVerdicts = a.size() == b.size() && ra.size() == rb.size();
        double worst = 0;
        for (int i = 0; sameVerdicts && i < a.size(); i++) sameVerdicts = a.get(i).get("id").equals(b.get(i).get("id"));
        for (int i = 0; sameVerdicts && i < ra.size(); i++) sameVerdicts = ra.get(i).get("id").equals(rb.get(i).get("id"));
        List<JsonNode> all = new ArrayList<>(a);
        all.addAll(ra);
        List<JsonNode> allB = new ArrayList<>(b);
        allB.addAll(rb);
        for (int i = 0; sameVerdicts && i < all.size(); i++) {
            JsonNode pa = all.get(i).path("kun").path("judge").path("probabilities");
            JsonNode pb = allB.get(i).path("kun").path("judge").path("probabilities");
            for (var it = pa.fieldNames(); it.hasNext(); ) {
                String verdict = it.next();
                worst = Math.max(worst, Math.abs(pa.get(verdict).asDouble() - pb.path(verdict).asDouble()));
            }
        }
        figures.put("judge_logits_records", instructions.size());
        put(figures, "judge_logits_no_reuse", runs[0]);
        put(figures, "judge_logits_reuse", runs[1]);
        figures.put("judge_logits_reuse_speedup", round(runs[0].seconds / runs[1].seconds));
        figures.put("judge_logits_same_verdicts", sameVerdicts);
        figures.put("judge_logits_max_abs_probability_difference", worst);
        log("judge --verdict-from logits: prefix reuse %.2fx the records/s, %.2fx per CPU-second; the same verdicts: %s (%d kept);"
                + " probabilities differ by at most %.2e", runs[0].seconds / runs[1].seconds, runs[0].cpuSeconds / runs[1].cpuSeconds,
                sameVerdicts, a.size(), worst);
    }

    private int sharedTokens(Path model, List<String[]> instructions) {
        try (Tokenizer t = dev.kun.backend.Backends.openTokenizer(model)) {
            int[] a = t.encode(PointPrompt.render(instructions.get(0)[1]));
            int[] b = t.encode(PointPrompt.render(instructions.get(1)[1]));
            int n = 0;
            while (n < Math.min(a.length, b.length) && a[n] == b[n]) n++;
            return n;
        } catch (Exception e) {
            return -1;
        }
    }

    // ---- plumbing ----

    private DjlGenerator open(Path model, boolean prefixReuse) {
        return DjlGenerator.open(model, DjlGenerator.Options.defaults().withDevice("cpu", null).withThreads(threads)
                .withMaxBatch(slots).withPrefixReuse(prefixReuse));
    }

    /**
     * One timed run: wall and process CPU seconds (less moved by the neighbours' load than wall time on a
     * shared host), what the engine did meanwhile, and how often it waited for the stage.
     */
    private record Run(double seconds, double cpuSeconds, Scheduler.Counters counters, long stalls) {
        double tokensPerSecond() {
            return counters.generatedTokens() / seconds;
        }

        double tokensPerCpuSecond() {
            return counters.generatedTokens() / cpuSeconds;
        }

        @Override
        public String toString() {
            return String.format("%.1f s (%.1f CPU s), %d generated tokens = %.1f tokens/s (%.1f with prompt tokens), occupancy %.1f%%,"
                    + " %d prefills (%d while decoding), %d of %d prompt tokens reused, %d prefix builds, %d stalls",
                    seconds, cpuSeconds, counters.generatedTokens(), tokensPerSecond(),
                    (counters.generatedTokens() + counters.promptTokens()) / seconds, 100 * counters.occupancy(),
                    counters.prefillPasses(), counters.refillsWhileDecoding(), counters.reusedPromptTokens(),
                    counters.promptTokens(), counters.prefixBuilds(), stalls);
        }
    }

    /** Runs {@code stage} over {@code in} (whose records hold {@code field}) into {@code out} and out.rejects. */
    private Run timeStage(DjlGenerator engine, Stage stage, Path in, Path out, String field) {
        Scheduler.Counters before = engine.counters();
        long stalls = engine.streamStalls();
        long cpu0 = cpuNanos();
        long t0 = System.nanoTime();
        try (stage) {
            RunConfig config = RunConfig.simple(List.of(in.toString()), out).withForce(true)
                    .withRejects(out.resolveSibling(out.getFileName() + ".rejects"));
            new StageRunner(config).run(stage);
        }
        return new Run((System.nanoTime() - t0) / 1e9, (cpuNanos() - cpu0) / 1e9, engine.counters().since(before),
                engine.streamStalls() - stalls);
    }

    /** CPU time of the whole process (every thread: the engine's, its shards', the stage's). */
    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static void put(ObjectNode figures, String name, Run run) {
        figures.put(name + "_seconds", round(run.seconds));
        figures.put(name + "_cpu_seconds", round(run.cpuSeconds));
        figures.put(name + "_generated_tokens", run.counters.generatedTokens());
        figures.put(name + "_prompt_tokens", run.counters.promptTokens());
        figures.put(name + "_reused_prompt_tokens", run.counters.reusedPromptTokens());
        figures.put(name + "_generated_tokens_per_s", round(run.tokensPerSecond()));
        figures.put(name + "_slot_occupancy", round(run.counters.occupancy()));
        figures.put(name + "_stalls", run.stalls);
    }

    /** The first {@code n} records of a JSONL file whose {@code field} passes {@code keep}: {id, field}. */
    private static List<String[]> firstRecords(Path file, int n, String field, java.util.function.Predicate<String> keep)
            throws Exception {
        List<String[]> out = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while (out.size() < n && (line = r.readLine()) != null) {
                JsonNode j = Json.MAPPER.readTree(line);
                if (j.hasNonNull(field) && !j.get(field).asText().isEmpty() && keep.test(j.get(field).asText())) out.add(new String[] {j.get("id").asText(), j.get(field).asText()});
            }
        }
        if (out.size() < n) throw new IllegalStateException(file + " has only " + out.size() + " records with " + field);
        return out;
    }

    /** {id, field: render(value)} per item, as JSONL. */
    private static void writeRecords(Path file, List<String[]> items, String field, java.util.function.UnaryOperator<String> render)
            throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String[] item : items) {
            ObjectNode o = Json.MAPPER.createObjectNode();
            o.put("id", item[0]);
            o.put(field, render.apply(item[1]));
            sb.append(Json.MAPPER.writeValueAsString(o)).append('\n');
        }
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    private static List<JsonNode> readJsonl(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) out.add(Json.MAPPER.readTree(line));
        return out;
    }

    /**
     * The engine with each request's max_tokens set from its seed, uniformly in {@code fewest..most}
     * (so lengths vary as labels do, where a random model would run every request to the same limit;
     * 0..0 leaves them as asked); records every generation by seed.
     */
    private static final class VariedLengths implements TextGenerator {
        final DjlGenerator engine;
        final Map<Long, Generation> seen = new ConcurrentHashMap<>();
        final int fewest;
        final int most;

        VariedLengths(DjlGenerator engine, int fewest, int most) {
            this.engine = engine;
            this.fewest = fewest;
            this.most = most;
        }

        GenerationRequest map(GenerationRequest r) {
            if (most == 0) return r;
            SamplingParams s = r.sampling();
            int max = fewest + (int) Math.floorMod(r.seed() * 0x9E3779B97F4A7C15L >>> 7, (long) (most - fewest + 1));
            return new GenerationRequest(r.prompt(), new SamplingParams(s.temperature(), s.topP(), s.topK(),
                    s.repetitionPenalty(), max, s.stopStrings(), s.stopTokenIds()), r.seed());
        }

        @Override
        public List<Generation> generate(List<GenerationRequest> requests) {
            List<Generation> out = engine.generate(requests.stream().map(this::map).toList());
            for (int i = 0; i < out.size(); i++) seen.put(requests.get(i).seed(), out.get(i));
            return out;
        }

        @Override
        public GenerationStream stream(int window) {
            GenerationStream inner = engine.stream(window);
            return new GenerationStream() {
                @Override
                public List<CompletableFuture<Generation>> submit(List<GenerationRequest> group) {
                    List<CompletableFuture<Generation>> fs = inner.submit(group.stream().map(VariedLengths.this::map).toList());
                    List<CompletableFuture<Generation>> out = new ArrayList<>();
                    for (int i = 0; i < fs.size(); i++) {
                        long seed = group.get(i).seed();
                        out.add(fs.get(i).thenApply(g -> {
                            seen.put(seed, g);
                            return g;
                        }));
                    }
                    return out;
                }

                @Override
                public void drain() {
                    inner.drain();
                }

                @Override
                public void close() {
                    inner.close();
                }
            };
        }

        @Override
        public int contextLength() {
            return engine.contextLength();
        }

        @Override
        public String fingerprint() {
            return engine.fingerprint();
        }

        @Override
        public Tokenizer tokenizer() {
            return engine.tokenizer();
        }

        @Override
        public int countTokens(String text) {
            return engine.countTokens(text);
        }

        @Override
        public void close() {}
    }

    /** A stage as it is, but without reading ahead: each batch runs alone, as before issue 13. */
    private record Alone(Stage inner) implements Stage {
        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public String fingerprint() {
            return inner.fingerprint();
        }

        @Override
        public int batchSize() {
            return inner.batchSize();
        }

        @Override
        public List<Outcome> process(List<KunRecord> batch) {
            return inner.process(batch);
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static void log(String format, Object... args) {
        System.err.println(String.format(format, args));
    }
}
