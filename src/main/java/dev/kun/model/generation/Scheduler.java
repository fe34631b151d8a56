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
import java.util.concurrent.CancellationException;

/**
 * Continuous batching: up to {@code slots} sequences decode together, one token each per step, and a
 * sequence that finishes frees its slot for the next queued prompt at once (prefilled before the next
 * decode step), rather than when the whole batch ends. Requests join the queue at any time ({@link
 * #add}); the caller runs {@link #step} again and again, on one thread (the engine's). Active
 * sequences always occupy slots 0..n-1: a finished sequence's slot is filled by moving the last one
 * into it, so every forward pass reads the cache through views and never gathers it.
 *
 * <p>Shared prompt prefixes are prefilled once: when queued prompts share a long enough token prefix
 * (a stage's fixed instruction, the judge's point prompt), it is run into a spare slot of the cache,
 * and each prompt that starts with it gets those keys and values copied into its own slot and
 * prefills only the rest. Keys and values at a position depend only on the tokens up to it, so this
 * is the whole-prompt prefill up to float rounding (other row counts, other kernels). The match is on
 * the token ids of each whole prompt, so tokenization never changes.
 *
 * <p>Each sequence samples with its own {@link TopPSampler} seeded from its request, so it draws the
 * same random numbers whatever shares the batch. Its logits can still differ in the last bits with the
 * batch's shape (kernels chosen per shape), which changes a token only when a draw falls that close to
 * the edge between two tokens. Every decision here (what is admitted, with which prefix) depends only
 * on the queue and the sequences, never on time, so the same requests added at the same steps give
 * the same arithmetic.
 */
public final class Scheduler {
    /**
     * Shortest shared prefix worth a pass of its own: below it the copies and the extra pass cost about
     * what they save, and a prompt's first few tokens ({@code <|im_start|>user}) are shared by chance.
     */
    static final int MIN_PREFIX = 16;
    private static final int[] NO_PREFIX = new int[0];

    /** Where one request's text and result go; called on the thread that runs {@link #step}. */
    public interface Listener {
        /**
         * A piece of the generated text, once no stop string can claim it; the pieces add up to the final
         * text. Must not throw (a listener whose consumer failed cancels its request instead).
         */
        void text(String piece);

        /** The request's generation. */
        void finished(Generation generation);

        /** The request failed (its forward pass threw) or was given up ({@link #cancelled}). */
        void failed(Throwable error);

        /** True once the request is given up: it leaves the queue, or frees its slot, at the next step. */
        boolean cancelled();
    }

    /**
     * What the engine has done since it started. {@code occupiedSlotSteps / (decodeSteps x slots)} is
     * the mean occupancy of the decode slots (see {@link #occupancy}).
     *
     * @param slots               decode slots
     * @param decodeSteps         decode passes (one token for every active sequence)
     * @param occupiedSlotSteps   sum over decode passes of the sequences they advanced
     * @param prefillPasses       passes that prefilled newly admitted prompts
     * @param refillsWhileDecoding prefills run while other sequences were mid-generation (0 would mean static batching)
     * @param promptTokens        prompt tokens of admitted sequences
     * @param reusedPromptTokens  of which copied from a shared prefix instead of prefilled
     * @param prefixBuilds        passes that prefilled a shared prefix
     * @param generatedTokens     tokens sampled
     */
    public record Counters(int slots, long decodeSteps, long occupiedSlotSteps, long prefillPasses,
                           long refillsWhileDecoding, long promptTokens, long reusedPromptTokens, long prefixBuilds,
                           long generatedTokens) {
        /** Mean share of the decode slots that held a sequence over the decode passes (0 before any). */
        public double occupancy() {
            return decodeSteps == 0 ? 0 : (double) occupiedSlotSteps / ((double) decodeSteps * slots);
        }

        /** What happened between {@code earlier} and this. */
        public Counters since(Counters earlier) {
            return new Counters(slots, decodeSteps - earlier.decodeSteps, occupiedSlotSteps - earlier.occupiedSlotSteps,
                    prefillPasses - earlier.prefillPasses, refillsWhileDecoding - earlier.refillsWhileDecoding,
                    promptTokens - earlier.promptTokens, reusedPromptTokens - earlier.reusedPromptTokens,
                    prefixBuilds - earlier.prefixBuilds, generatedTokens - earlier.generatedTokens);
        }
    }

    private final CausalLm model;
    private final KvCache cache;
    private final int slots;
    private final int prefixSlot;
    private final EngineTokenizer tokenizer;
    private final Set<Integer> eos;
    private final NDManager root;
    private final int prefillTokens;
    private float[] logitBuffer = new float[0];
    /** The samplers' work arrays: sequences sample one after the other, so they share one set. */
    private final TopPSampler.Scratch samplerScratch;
    /** Each row's log-sum-exp of the last step's logits (see forward). */
    private float[] logSumExp = new float[0];
    private final Deque<Sequence> queue = new ArrayDeque<>();
    private final List<Sequence> active = new ArrayList<>(); // active.get(s) occupies cache slot s
    /** The tokens whose keys and values the prefix slot holds at positions 0..length-1. */
    private int[] prefix = NO_PREFIX;
    private long decodeSteps;
    private long occupiedSlotSteps;
    private long prefillPasses;
    private long refillsWhileDecoding;
    private long promptTokens;
    private long reusedPromptTokens;
    private long prefixBuilds;
    private long generatedTokens;
    private volatile Counters counters;

    /**
     * @param slots         sequences decoded together: cache slots 0..slots-1
     * @param prefixSlot    the cache slot that holds a shared prompt prefix, or -1 to prefill every prompt whole
     * @param eos           ids that end every generation (the checkpoint's), besides each request's own
     * @param prefillTokens padded tokens per prefill forward pass (rows x longest prompt); a longer
     *                      prompt still runs, alone
     */
    public Scheduler(CausalLm model, KvCache cache, int slots, int prefixSlot, EngineTokenizer tokenizer, Set<Integer> eos,
                     NDManager root, int prefillTokens) {
        if (slots < 1 || slots > cache.slots() || prefixSlot >= cache.slots() || (prefixSlot >= 0 && prefixSlot < slots)) {
            throw new IllegalArgumentException(slots + " decode slots and prefix slot " + prefixSlot + " in a cache of " + cache.slots());
        }
        this.model = model;
        this.cache = cache;
        this.slots = slots;
        this.prefixSlot = prefixSlot;
        this.tokenizer = tokenizer;
        this.eos = Set.copyOf(eos);
        this.root = root;
        this.prefillTokens = prefillTokens;
        this.samplerScratch = new TopPSampler.Scratch(model.vocabSize());
        publishCounters();
    }

    /** Queues {@code request}, whose prompt encodes to {@code prompt} (which must leave room in the context). */
    public void add(GenerationRequest request, int[] prompt, Listener listener) {
        if (prompt.length == 0 || prompt.length >= cache.maxContext()) {
            throw new IllegalArgumentException("a prompt of " + prompt.length + " tokens in a context of " + cache.maxContext());
        }
        queue.add(new Sequence(request, prompt, model.vocabSize(), eos, tokenizer, samplerScratch, listener));
    }

    /** True while a sequence is queued or decoding. */
    public boolean busy() {
        return !queue.isEmpty() || !active.isEmpty();
    }

    /** True while a sequence holds a slot (the cache's slots are not free for other work). */
    public boolean decoding() {
        return !active.isEmpty();
    }

    /** The counters as of the last step; safe to read from any thread. */
    public Counters counters() {
        return counters;
    }

    /**
     * Forgets the shared prefix, for when something else (scoring) has written over the cache: the next
     * prompts that share one prefill it again.
     */
    public void forgetPrefix() {
        prefix = NO_PREFIX;
    }

    /**
     * One forward pass: drops given-up requests, then prefills queued prompts into free slots (when
     * {@code admit} and there are both), otherwise advances every active sequence by one token. Finished
     * sequences are handed to their listeners. A pass that throws fails the sequences it ran (their
     * slots are freed); the others go on. Once nothing is queued or active the shared prefix is
     * forgotten, so whatever comes next starts as on a fresh engine.
     */
    public void step(boolean admit) {
        dropCancelled();
        if (admit && !queue.isEmpty() && active.size() < slots) {
            admit();
        } else if (!active.isEmpty()) {
            decode();
        }
        if (!busy()) prefix = NO_PREFIX;
        publishCounters();
    }

    private void publishCounters() {
        counters = new Counters(slots, decodeSteps, occupiedSlotSteps, prefillPasses, refillsWhileDecoding, promptTokens,
                reusedPromptTokens, prefixBuilds, generatedTokens);
    }

    /** Prefills as many queued prompts as fit into free slots, after their shared prefix if they have one. */
    private void admit() {
        List<Sequence> admitted = new ArrayList<>();
        try {
            sharePrefix(queue.peek());
            // Refill free slots at once: prefill as many queued prompts as fit the pass.
            int width = 0;
            int maxStart = 0;
            while (!queue.isEmpty() && active.size() + admitted.size() < slots) {
                Sequence next = queue.peek();
                int reused = reusable(next.prompt);
                int w = Math.max(width, next.prompt.length - reused);
                int reach = Math.max(maxStart, reused) + w; // padding is written too: it must fit the context
                if (!admitted.isEmpty() && (w * (admitted.size() + 1) > prefillTokens || reach > cache.maxContext())) break;
                width = w;
                maxStart = Math.max(maxStart, reused);
                next.reused = reused;
                admitted.add(queue.poll());
            }
            if (!active.isEmpty()) refillsWhileDecoding++;
            prefillPasses++;
            int first = active.size();
            int[][] rows = new int[admitted.size()][];
            int[] start = new int[rows.length];
            for (int r = 0; r < rows.length; r++) {
                Sequence seq = admitted.get(r);
                start[r] = seq.reused;
                rows[r] = Arrays.copyOfRange(seq.prompt, seq.reused, seq.prompt.length);
                // The shared prefix's keys and values into this sequence's slot; it prefills the rest.
                if (seq.reused > 0) cache.move(prefixSlot, first + r, seq.reused);
                promptTokens += seq.prompt.length;
                reusedPromptTokens += seq.reused;
            }
            float[] logits = forward(new TokenBatch(rows, first, start, false));
            active.addAll(admitted);
            for (int r = 0; r < admitted.size(); r++) admitted.get(r).accept(logits, logSumExp[r], r, cache.maxContext());
            generatedTokens += admitted.size();
            admitted.clear();
            retire(first);
        } catch (Throwable e) {
            // Only the admitted rows' slots were written: the sequences already decoding go on.
            prefix = NO_PREFIX;
            // A failure before any row was taken (the prefix's pass) is the head's, which would fail again.
            if (admitted.isEmpty() && !queue.isEmpty()) admitted.add(queue.poll());
            while (!active.isEmpty() && admitted.contains(active.get(active.size() - 1))) active.remove(active.size() - 1);
            publishCounters();
            for (Sequence seq : admitted) seq.listener.failed(e);
        }
    }

    /** One decode step for every active sequence: feed its last token at its own position. */
    private void decode() {
        try {
            int[][] rows = new int[active.size()][];
            int[] start = new int[active.size()];
            for (int s = 0; s < active.size(); s++) {
                rows[s] = new int[] {active.get(s).lastToken()};
                start[s] = active.get(s).cached();
            }
            float[] logits = forward(new TokenBatch(rows, 0, start, false));
            decodeSteps++;
            occupiedSlotSteps += active.size();
            for (int s = 0; s < active.size(); s++) active.get(s).accept(logits, logSumExp[s], s, cache.maxContext());
            generatedTokens += active.size();
            retire(0);
        } catch (Throwable e) {
            prefix = NO_PREFIX;
            List<Sequence> failed = new ArrayList<>(active);
            active.clear();
            publishCounters();
            for (Sequence seq : failed) seq.listener.failed(e);
        }
    }

    /** Requests given up: out of the queue, and out of their slots. */
    private void dropCancelled() {
        for (var it = queue.iterator(); it.hasNext(); ) {
            Sequence seq = it.next();
            if (seq.listener.cancelled()) {
                it.remove();
                seq.listener.failed(new CancellationException("cancelled while queued"));
            }
        }
        boolean any = false;
        for (Sequence seq : active) {
            if (seq.listener.cancelled()) {
                seq.dropped = true;
                any = true;
            }
        }
        if (any) retire(0);
    }

    /**
     * Makes the prefix slot hold the longest prefix that {@code head} shares with another queued prompt
     * (among the next {@code slots}), when that reaches {@link #MIN_PREFIX} tokens beyond what the slot
     * already gives it. Only the tokens beyond the part it shares with the old prefix are run.
     */
    private void sharePrefix(Sequence head) {
        if (prefixSlot < 0 || queue.size() < 2) return;
        int[] p = head.prompt;
        int shared = 0;
        int seen = 0;
        for (Sequence other : queue) {
            if (other == head) continue;
            if (++seen > slots) break;
            shared = Math.max(shared, commonPrefix(p, other.prompt));
        }
        shared = Math.min(shared, p.length - 1);
        int have = reusable(p);
        if (shared - have < MIN_PREFIX) return;
        forward(new TokenBatch(new int[][] {Arrays.copyOfRange(p, have, shared)}, prefixSlot, new int[] {have}, false));
        prefix = Arrays.copyOf(p, shared);
        prefixBuilds++;
    }

    /** Tokens of {@code prompt} the prefix slot holds; the last prompt token always runs (its logits start the generation). */
    private int reusable(int[] prompt) {
        return prefixSlot < 0 ? 0 : Math.min(commonPrefix(prompt, prefix), prompt.length - 1);
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
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
     * Removes finished and dropped sequences at slots >= {@code from}, highest slot first, moving the
     * last active sequence (and its cache) into each freed slot so the active ones stay in slots 0..n-1,
     * and hands each finished one to its listener.
     */
    private void retire(int from) {
        List<Sequence> done = new ArrayList<>();
        for (int s = active.size() - 1; s >= from; s--) {
            Sequence seq = active.get(s);
            if (seq.finish == null && !seq.dropped) continue;
            done.add(seq);
            int last = active.size() - 1;
            if (s != last) {
                Sequence moved = active.get(last);
                cache.move(last, s, moved.cached());
                active.set(s, moved);
            }
            active.remove(last);
        }
        // Listeners last, with the slots in order again, and the counters out first: a caller woken by
        // its result reads counters that include the pass that produced it.
        if (!done.isEmpty()) publishCounters();
        for (int i = done.size() - 1; i >= 0; i--) {
            Sequence seq = done.get(i);
            if (seq.dropped) seq.listener.failed(new CancellationException("cancelled while decoding"));
            else seq.listener.finished(seq.result());
        }
    }

    /** One request in flight: its sampler, generated tokens and text so far. */
    private static final class Sequence {
        final int[] prompt;
        final SamplingParams params;
        final TopPSampler sampler;
        final Set<Integer> stopIds;
        final List<String> stopStrings;
        final int longestStop;
        final IncrementalDetokenizer detokenizer;
        final StringBuilder text = new StringBuilder();
        final int vocab;
        final Listener listener;
        int[] tokens = new int[16];
        float[] logprobs = new float[16];
        int generated;
        /** Prompt tokens copied from the shared prefix instead of prefilled. */
        int reused;
        /** Characters of {@link #text} handed to the listener. */
        int streamed;
        FinishReason finish;
        boolean dropped;

        Sequence(GenerationRequest request, int[] prompt, int vocab, Set<Integer> eos, EngineTokenizer tokenizer,
                 TopPSampler.Scratch scratch, Listener listener) {
            this.prompt = prompt;
            this.params = request.sampling();
            this.vocab = vocab;
            this.listener = listener;
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
         * {@code logSumExp}, checks every stop condition and streams the text that no stop string can
         * still claim.
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
            } else {
                appendAndCheck(detokenizer.push(token));
                if (finish == null && (generated >= params.maxTokens() || prompt.length + generated >= maxContext)) {
                    appendAndCheck(detokenizer.flush());
                    if (finish == null) finish = FinishReason.LENGTH;
                }
            }
            stream();
        }

        /**
         * Hands the listener the text that is final: all of it once finished, else all but the last
         * {@code longestStop - 1} characters, where a stop string may still begin (never splitting a
         * surrogate pair).
         */
        private void stream() {
            int end = finish != null ? text.length() : Math.max(streamed, text.length() - Math.max(0, longestStop - 1));
            if (end > streamed && end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) end--;
            if (end > streamed) {
                String piece = text.substring(streamed, end);
                streamed = end;
                listener.text(piece);
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
