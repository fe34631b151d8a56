package dev.kun.model.generation;

import dev.kun.model.cpu.DirectMemory;
import dev.kun.model.tokenizer.IncrementalDetokenizer;
import dev.kun.model.tokenizer.EngineTokenizer;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.kun.generate.FinishReason;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Continuous batching: up to {@code cache.slots()} sequences decode together, one token each per
 * step, and a sequence that finishes frees its slot for the next queued prompt at once (prefilled
 * before the next decode step), rather than when the whole batch ends. Active sequences always occupy
 * slots 0..n-1: a finished sequence's slot is filled by moving the last one into it, so every forward
 * pass reads the cache through views and never gathers it.
 *
 * <p>Each sequence samples with its own {@link TopPSampler} seeded from its request, so it draws the
 * same random numbers whatever shares the batch. Its logits can still differ in the last bits with the
 * batch's shape (kernels chosen per shape), which changes a token only when a draw falls that close to
 * the edge between two tokens.
 */
public final class Scheduler {
    private final CausalLm model;
    private final KvCache cache;
    private final EngineTokenizer tokenizer;
    private final Set<Integer> eos;
    private final NDManager root;
    private final int prefillTokens;
    private float[] logitBuffer = new float[0];
    /** The samplers' work arrays: sequences sample one after the other, so they share one set. */
    private final TopPSampler.Scratch samplerScratch;
    /** Each row's log-sum-exp of the last step's logits (see forward). */
    private float[] logSumExp = new float[0];
    /** Prefills that ran while other sequences were mid-generation: 0 would mean static batching. */
    public int refillsWhileDecoding;

    /**
     * @param eos           ids that end every generation (the checkpoint's), besides each request's own
     * @param prefillTokens padded tokens per prefill forward pass (rows x longest prompt); a longer
     *                      prompt still runs, alone
     */
    public Scheduler(CausalLm model, KvCache cache, EngineTokenizer tokenizer, Set<Integer> eos, NDManager root, int prefillTokens) {
        this.model = model;
        this.cache = cache;
        this.tokenizer = tokenizer;
        this.eos = Set.copyOf(eos);
        this.root = root;
        this.prefillTokens = prefillTokens;
        this.samplerScratch = new TopPSampler.Scratch(model.vocabSize());
    }

    /** Runs every request to completion; results in request order. Prompts must fit the context. */
    public List<Generation> run(List<GenerationRequest> requests, List<int[]> prompts) {
        Generation[] results = new Generation[requests.size()];
        Deque<Sequence> queue = new ArrayDeque<>();
        for (int i = 0; i < requests.size(); i++) {
            queue.add(new Sequence(i, requests.get(i), prompts.get(i), model.vocabSize(), eos, tokenizer, samplerScratch));
        }
        List<Sequence> active = new ArrayList<>(); // active.get(s) occupies cache slot s
        while (!queue.isEmpty() || !active.isEmpty()) {
            if (!queue.isEmpty() && active.size() < cache.slots()) {
                // Refill free slots at once: prefill as many queued prompts as fit.
                List<Sequence> admitted = new ArrayList<>();
                int width = 0;
                while (!queue.isEmpty() && active.size() + admitted.size() < cache.slots()) {
                    int w = Math.max(width, queue.peek().prompt.length);
                    if (!admitted.isEmpty() && w * (admitted.size() + 1) > prefillTokens) break;
                    width = w;
                    admitted.add(queue.poll());
                }
                if (!active.isEmpty()) refillsWhileDecoding++;
                int[][] rows = new int[admitted.size()][];
                for (int r = 0; r < rows.length; r++) rows[r] = admitted.get(r).prompt;
                float[] logits = forward(new TokenBatch(rows, active.size(), new int[rows.length], false));
                active.addAll(admitted);
                int first = active.size() - admitted.size();
                for (int r = 0; r < admitted.size(); r++) admitted.get(r).accept(logits, logSumExp[r], r, cache.maxContext());
                retire(active, first, results);
                continue;
            }
            // One decode step for every active sequence: feed its last token at its own position.
            int[][] rows = new int[active.size()][];
            int[] start = new int[active.size()];
            for (int s = 0; s < active.size(); s++) {
                rows[s] = new int[] {active.get(s).lastToken()};
                start[s] = active.get(s).cached();
            }
            float[] logits = forward(new TokenBatch(rows, 0, start, false));
            for (int s = 0; s < active.size(); s++) active.get(s).accept(logits, logSumExp[s], s, cache.maxContext());
            retire(active, 0, results);
        }
        return Arrays.asList(results);
    }

    /**
     * The logits of {@code batch}, (rows x vocab) row-major, in a buffer reused from step to step: a
     * new 4 MB array per step at batch 32 outlived young collections often enough to be promoted, and
     * the old generation filled with dead logits until a full collection (+20 MB resident per minute).
     */
    private float[] forward(TokenBatch batch) {
        try (NDManager step = root.newSubManager()) {
            NDArray logits = model.forward(batch, cache, step).toType(DataType.FLOAT32, false);
            // Each row's log-sum-exp, for the chosen tokens' log-probabilities, in PyTorch's vectorised
            // kernels (in Java it was an exp per vocabulary entry and row, ~3% of a batch-32 step): the
            // largest log-softmax value sits at the largest logit, where it is exactly -log(sum exp(x -
            // max)), so lse = max - max(logSoftmax), with one temporary the size of the logits.
            int[] vocabAxis = {1};
            NDArray lse = logits.max(vocabAxis).sub(logits.logSoftmax(1).max(vocabAxis));
            if (!logits.getDevice().equals(Device.cpu())) {
                logits = logits.toDevice(Device.cpu(), false);
                lse = lse.toDevice(Device.cpu(), false);
            }
            logSumExp = lse.toFloatArray();
            int n = Math.toIntExact(logits.size());
            if (logitBuffer.length < n) logitBuffer = new float[n];
            // Straight out of the tensor's memory (forward's logits are contiguous), no intermediate arrays.
            java.nio.FloatBuffer values = DirectMemory.hostView(logits).asFloatBuffer();
            values.get(logitBuffer, 0, n);
            return logitBuffer;
        }
    }

    /**
     * Removes finished sequences at slots >= {@code from}, highest slot first, moving the last active
     * sequence (and its cache) into each freed slot so the active ones stay in slots 0..n-1.
     */
    private void retire(List<Sequence> active, int from, Generation[] results) {
        for (int s = active.size() - 1; s >= from; s--) {
            Sequence seq = active.get(s);
            if (seq.finish == null) continue;
            results[seq.index] = seq.result();
            int last = active.size() - 1;
            if (s != last) {
                Sequence moved = active.get(last);
                cache.move(last, s, moved.cached());
                active.set(s, moved);
            }
            active.remove(last);
        }
    }

    /** One request in flight: its sampler, generated tokens and text so far. */
    private static final class Sequence {
        final int index;
        final int[] prompt;
        final SamplingParams params;
        final TopPSampler sampler;
        final Set<Integer> stopIds;
        final List<String> stopStrings;
        final int longestStop;
        final IncrementalDetokenizer detokenizer;
        final StringBuilder text = new StringBuilder();
        final int vocab;
        int[] tokens = new int[16];
        float[] logprobs = new float[16];
        int generated;
        FinishReason finish;

        Sequence(int index, GenerationRequest request, int[] prompt, int vocab, Set<Integer> eos, EngineTokenizer tokenizer,
                 TopPSampler.Scratch scratch) {
            this.index = index;
            this.prompt = prompt;
            this.params = request.sampling();
            this.vocab = vocab;
            this.sampler = new TopPSampler(params, request.seed(), vocab, scratch);
            sampler.observeAll(prompt);
            this.stopIds = new HashSet<>(eos);
            stopIds.addAll(params.stopTokenIds());
            this.stopStrings = params.stopStrings().stream().filter(s -> !s.isEmpty()).toList();
            this.longestStop = stopStrings.stream().mapToInt(String::length).max().orElse(0);
            this.detokenizer = tokenizer.incremental(true);
        }

        /** Tokens whose keys and values are in the cache: the prompt and all but the last generated. */
        int cached() {
            return prompt.length + generated - 1;
        }

        int lastToken() {
            return tokens[generated - 1];
        }

        /**
         * Samples the next token from row {@code row} of {@code logits}, whose log-sum-exp is
         * {@code logSumExp}, and checks every stop condition.
         */
        void accept(float[] logits, float logSumExp, int row, int maxContext) {
            int offset = row * vocab;
            int token = sampler.next(logits, offset);
            sampler.observe(token);
            if (generated == tokens.length) {
                tokens = Arrays.copyOf(tokens, generated * 2);
                logprobs = Arrays.copyOf(logprobs, generated * 2);
            }
            tokens[generated] = token;
            // The raw model's log-probability: before penalty, temperature and truncation.
            logprobs[generated] = logits[offset + token] - logSumExp;
            generated++;
            if (stopIds.contains(token)) {
                appendAndCheck(detokenizer.flush());
                if (finish == null) finish = FinishReason.STOP;
                return;
            }
            appendAndCheck(detokenizer.push(token));
            if (finish == null && (generated >= params.maxTokens() || prompt.length + generated >= maxContext)) {
                appendAndCheck(detokenizer.flush());
                if (finish == null) finish = FinishReason.LENGTH;
            }
        }

        /**
         * Appends {@code piece} and looks for a stop string only where one could newly end: in the
         * piece and the {@code longestStop - 1} characters before it, so the check costs O(piece) per
         * token instead of rescanning the whole text.
         */
        private void appendAndCheck(String piece) {
            if (piece.isEmpty() || finish != null) return;
            int from = Math.max(0, text.length() - (longestStop - 1));
            text.append(piece);
            int cut = -1;
            for (String stop : stopStrings) {
                int at = text.indexOf(stop, from);
                if (at >= 0 && (cut < 0 || at < cut)) cut = at;
            }
            if (cut >= 0) {
                text.setLength(cut);
                finish = FinishReason.STOP;
            }
        }

        Generation result() {
            return new Generation(text.toString(), finish, prompt.length, generated,
                    Arrays.copyOf(tokens, generated), Arrays.copyOf(logprobs, generated));
        }
    }
}
