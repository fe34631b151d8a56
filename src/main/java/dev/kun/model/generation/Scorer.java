package dev.kun.model.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Teacher-forced log-probabilities of given token sequences, batched: entry i of a sequence's result
 * is log p(token[i + 1] | token[0..i]) under the raw model (log-softmax of unmodified logits). The
 * first token has no context and so no log-probability; prepend BOS to score it (see
 * DjlGenerator.textLogprobs).
 */
public final class Scorer {
    private final CausalLm model;
    private final KvCache cache;
    private final NDManager root;
    private final int batchTokens;
    private final boolean sharePrefix;

    /** {@code batchTokens}: padded tokens per forward pass, which bounds the (tokens x vocab) logits. */
    public Scorer(CausalLm model, KvCache cache, NDManager root, int batchTokens) {
        this(model, cache, root, batchTokens, false);
    }

    /**
     * With {@code sharePrefix}, {@link #nextTokenLogprobs} runs the token prefix that all its prefixes
     * share once, in the cache's last slot, and copies its keys and values into each row's slot (as the
     * {@link Scheduler} does for prompts): a judge's prompts all start with the same point prompt.
     */
    public Scorer(CausalLm model, KvCache cache, NDManager root, int batchTokens, boolean sharePrefix) {
        this.model = model;
        this.cache = cache;
        this.root = root;
        this.batchTokens = batchTokens;
        this.sharePrefix = sharePrefix;
    }

    /** One float[length - 1] per sequence (empty for sequences shorter than 2), in input order. */
    public List<float[]> tokenLogprobs(List<int[]> sequences) {
        float[][] out = new float[sequences.size()][];
        // Similar lengths together waste less padding; results go back to input order.
        Integer[] order = new Integer[sequences.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Integer.compare(sequences.get(a).length, sequences.get(b).length));
        List<Integer> batch = new ArrayList<>();
        int width = 0;
        for (int i : order) {
            int[] s = sequences.get(i);
            if (s.length < 2) {
                out[i] = new float[0];
                continue;
            }
            int w = Math.max(width, s.length);
            if (!batch.isEmpty() && (w * (batch.size() + 1) > batchTokens || batch.size() == cache.slots())) {
                score(sequences, batch, out);
                batch.clear();
                w = s.length;
            }
            width = w;
            batch.add(i);
        }
        if (!batch.isEmpty()) score(sequences, batch, out);
        return Arrays.asList(out);
    }

    private void score(List<int[]> sequences, List<Integer> batch, float[][] out) {
        int rows = batch.size();
        int[][] tokens = new int[rows][];
        int width = 0;
        for (int r = 0; r < rows; r++) {
            tokens[r] = sequences.get(batch.get(r));
            width = Math.max(width, tokens[r].length);
        }
        // Targets: the next token at each position (padding and the last position target id 0, unused).
        long[] next = new long[rows * width];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t + 1 < tokens[r].length; t++) next[r * width + t] = tokens[r][t + 1];
        }
        float[] picked;
        try (NDManager step = root.newSubManager()) {
            NDArray logits = model.forward(new TokenBatch(tokens, 0, new int[rows], true), cache, step); // (B, T, vocab)
            NDArray targets = step.create(next, new Shape(rows, width, 1)).toDevice(logits.getDevice(), false);
            // log-softmax over the vocabulary (max-subtracted inside), then each position's target entry.
            picked = logits.toType(DataType.FLOAT32, false).logSoftmax(2).gather(targets, 2).toFloatArray(); // (B, T, 1)
        }
        for (int r = 0; r < rows; r++) {
            out[batch.get(r)] = Arrays.copyOfRange(picked, r * width, r * width + tokens[r].length - 1);
        }
    }

    /**
     * For each prefix, log p(candidates[j] | prefix) under the raw model (log-softmax over the whole
     * vocabulary), for every candidate at once: one forward pass per prefix, batched, reading only each
     * prefix's last position (as a generation's prefill does). Prefixes must not be empty. With prefix
     * sharing on, the tokens every prefix starts with (at least {@link Scheduler#MIN_PREFIX}) run once
     * and the passes run only the rest: the same values up to float rounding.
     */
    public List<float[]> nextTokenLogprobs(List<int[]> prefixes, int[] candidates) {
        float[][] out = new float[prefixes.size()][];
        for (int i = 0; i < prefixes.size(); i++) {
            if (prefixes.get(i).length == 0) throw new IllegalArgumentException("prefix " + i + " is empty");
        }
        int shared = sharedPrefix(prefixes);
        int rowsPerPass = cache.slots();
        if (shared > 0) {
            // The shared part once, into the last slot; every row copies it and runs its own remainder.
            rowsPerPass = cache.slots() - 1;
            try (NDManager step = root.newSubManager()) {
                model.forward(new TokenBatch(new int[][] {Arrays.copyOf(prefixes.get(0), shared)}, rowsPerPass, new int[] {0},
                        false), cache, step);
            }
        }
        Integer[] order = new Integer[prefixes.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Integer.compare(prefixes.get(a).length, prefixes.get(b).length));
        List<Integer> batch = new ArrayList<>();
        int width = 0;
        for (int i : order) {
            int[] p = prefixes.get(i);
            int w = Math.max(width, p.length - shared);
            if (!batch.isEmpty() && (w * (batch.size() + 1) > batchTokens || batch.size() == rowsPerPass)) {
                scoreNext(prefixes, batch, candidates, shared, out);
                batch.clear();
                w = p.length - shared;
            }
            width = w;
            batch.add(i);
        }
        if (!batch.isEmpty()) scoreNext(prefixes, batch, candidates, shared, out);
        return Arrays.asList(out);
    }

    /**
     * Tokens every prefix starts with, leaving each at least its last one to run; 0 when sharing is off,
     * there is a single prefix or no spare slot, or it is shorter than {@link Scheduler#MIN_PREFIX}.
     */
    private int sharedPrefix(List<int[]> prefixes) {
        if (!sharePrefix || prefixes.size() < 2 || cache.slots() < 2) return 0;
        int[] first = prefixes.get(0);
        int shared = first.length - 1;
        for (int[] p : prefixes) {
            int n = Math.min(shared, p.length - 1);
            int i = 0;
            while (i < n && p[i] == first[i]) i++;
            shared = i;
        }
        return shared >= Scheduler.MIN_PREFIX ? shared : 0;
    }

    private void scoreNext(List<int[]> prefixes, List<Integer> batch, int[] candidates, int shared, float[][] out) {
        int rows = batch.size();
        int k = candidates.length;
        int[][] tokens = new int[rows][];
        int[] start = new int[rows];
        for (int r = 0; r < rows; r++) {
            int[] p = prefixes.get(batch.get(r));
            tokens[r] = shared > 0 ? Arrays.copyOfRange(p, shared, p.length) : p;
            start[r] = shared;
            if (shared > 0) cache.move(cache.slots() - 1, r, shared);
        }
        long[] wanted = new long[rows * k];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < k; j++) wanted[r * k + j] = candidates[j];
        }
        float[] picked;
        try (NDManager step = root.newSubManager()) {
            NDArray logits = model.forward(new TokenBatch(tokens, 0, start, false), cache, step); // (B, vocab)
            NDArray index = step.create(wanted, new Shape(rows, k)).toDevice(logits.getDevice(), false);
            picked = logits.toType(DataType.FLOAT32, false).logSoftmax(1).gather(index, 1).toFloatArray(); // (B, k)
        }
        for (int r = 0; r < rows; r++) out[batch.get(r)] = Arrays.copyOfRange(picked, r * k, r * k + k);
    }
}
