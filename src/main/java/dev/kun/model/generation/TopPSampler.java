package dev.kun.model.generation;

import dev.kun.generate.SamplingParams;
import java.util.Arrays;

/**
 * Picks the next token of one sequence from its logits with the Hugging Face semantics (repetition
 * penalty, temperature, top-k, top-p), drawing from its own SplitMix64 stream so that a sequence
 * sampled with the same seed gives the same tokens on any JVM and whatever shares its batch.
 *
 * <p>Steps of {@link #next}, in Hugging Face's order:
 * <ol>
 *   <li>repetition penalty over every distinct token seen so far (prompt and generated): a
 *       negative logit is multiplied by the penalty, any other divided (also when greedy);</li>
 *   <li>temperature 0: argmax, ties to the lowest id;</li>
 *   <li>divide by the temperature;</li>
 *   <li>top-k (0 = off): drop every logit strictly below the k-th largest (ties with it stay, as
 *       in {@code TopKLogitsWarper});</li>
 *   <li>softmax with max subtraction;</li>
 *   <li>top-p (1 = off): keep the smallest prefix of the tokens sorted by probability (ties by
 *       lower id first) whose mass reaches top_p, at least one token (HF's rule: drop a token when
 *       the mass of the tokens ranked at or below it is at most 1 - top_p);</li>
 *   <li>draw u in [0, 1) and take the first kept token, in ascending id order, whose running
 *       weight exceeds u times the kept mass.</li>
 * </ol>
 * Not thread-safe: one instance per sequence, used by one thread at a time.
 */
public final class TopPSampler {
    private final int vocabSize;
    private final boolean greedy;
    private final float temperature;
    private final float penalty;
    private final int topK;
    private final double topP;

    // Repetition penalty state: each distinct id once, as HF gathers then scatters unique positions
    // (null without a penalty: nothing to remember).
    private final boolean[] seen;
    private int[] seenIds = new int[64];
    private int seenCount;

    private long rngState;

    private final Scratch scratch;

    /**
     * Work arrays for samplers that run one at a time on one thread: a decode step must not allocate
     * vocabulary-sized arrays, and the sequences of a batch share one set rather than hold one each
     * (32 sequences held ~13 MB, long-lived enough to be promoted to the old generation).
     */
    public static final class Scratch {
        private final float[] work;
        private float[] heap;
        private long[] keys;

        public Scratch(int vocabSize) {
            this.work = new float[vocabSize];
        }
    }

    /** A sampler over {@code vocabSize} logits, seeded with {@code seed} (see {@link dev.kun.generate.Seeds}). */
    public TopPSampler(SamplingParams params, long seed, int vocabSize) {
        this(params, seed, vocabSize, new Scratch(Math.max(1, vocabSize)));
    }

    /** As above, with work arrays shared with other samplers that never run at the same time. */
    public TopPSampler(SamplingParams params, long seed, int vocabSize, Scratch scratch) {
        if (vocabSize < 1) throw new IllegalArgumentException("vocabSize must be >= 1: " + vocabSize);
        this.vocabSize = vocabSize;
        this.greedy = params.isGreedy();
        this.temperature = (float) params.temperature();
        this.penalty = (float) params.repetitionPenalty();
        this.topK = params.topK() >= vocabSize ? 0 : params.topK();
        this.topP = params.topP();
        this.seen = penalty == 1f ? null : new boolean[vocabSize];
        this.rngState = seed;
        if (scratch.work.length != vocabSize) {
            throw new IllegalArgumentException("scratch for " + scratch.work.length + " logits, sampler for " + vocabSize);
        }
        this.scratch = scratch;
    }

    /** Records a token of the sequence (each prompt token, then each generated one) for the repetition penalty. */
    public void observe(int tokenId) {
        if (tokenId < 0 || tokenId >= vocabSize) {
            throw new IllegalArgumentException("token id " + tokenId + " outside vocabulary of " + vocabSize);
        }
        if (seen == null || seen[tokenId]) return;
        seen[tokenId] = true;
        if (seenCount == seenIds.length) seenIds = Arrays.copyOf(seenIds, seenCount * 2);
        seenIds[seenCount++] = tokenId;
    }

    /** Records every token of {@code tokenIds}. */
    public void observeAll(int[] tokenIds) {
        for (int id : tokenIds) observe(id);
    }

    /**
     * Chooses the next token from {@code logits[offset .. offset + vocabSize)}; the caller's array is
     * not modified. Does not observe the chosen token: the caller does, once it accepts it.
     */
    public int next(float[] logits, int offset) {
        if (offset < 0 || offset + vocabSize > logits.length) {
            throw new IllegalArgumentException("logits hold " + logits.length + " values, need "
                    + vocabSize + " at offset " + offset);
        }
        if (greedy && penalty == 1f) return argmax(logits, offset, vocabSize) - offset;
        float[] x = scratch.work;
        System.arraycopy(logits, offset, x, 0, vocabSize);
        applyPenalty(x);
        if (greedy) return argmax(x, vocabSize);

        for (int i = 0; i < vocabSize; i++) x[i] = x[i] / temperature;

        float kth = topK > 0 ? kthLargest(x, topK) : Float.NEGATIVE_INFINITY;

        // Max subtraction keeps exp() in range; the common factor exp(-max) cancels in the ratio.
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocabSize; i++) if (x[i] > max) max = x[i];
        if (max == Float.NEGATIVE_INFINITY) return argmax(x, vocabSize);

        // x becomes the unnormalised weight exp(x - max), 0 for tokens cut by top-k.
        double total = 0;
        int kept = 0;
        for (int i = 0; i < vocabSize; i++) {
            float w = x[i] >= kth ? (float) Math.exp(x[i] - max) : 0f;
            x[i] = w;
            if (w > 0) {
                total += w;
                kept++;
            }
        }
        if (topP < 1.0) {
            return drawFromNucleus(x, total, kept);
        }
        return drawAscending(x, total);
    }

    private void applyPenalty(float[] x) {
        if (penalty == 1f) return;
        for (int k = 0; k < seenCount; k++) {
            int id = seenIds[k];
            float v = x[id];
            x[id] = v < 0 ? v * penalty : v / penalty;
        }
    }

    /** Index of the largest of {@code x[0..n)}, the lowest index among equals. */
    static int argmax(float[] x, int n) {
        return argmax(x, 0, n);
    }

    /** Index in {@code x} of the largest of {@code x[from..from+n)}, the lowest index among equals. */
    private static int argmax(float[] x, int from, int n) {
        int best = from;
        for (int i = from + 1; i < from + n; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /** The k-th largest value of x (1-based), by a min-heap of size k: O(V log k), most values rejected in O(1). */
    private float kthLargest(float[] x, int k) {
        if (scratch.heap == null || scratch.heap.length < k) scratch.heap = new float[k];
        float[] h = scratch.heap;
        for (int i = 0; i < k; i++) h[i] = x[i];
        for (int i = k / 2 - 1; i >= 0; i--) siftDown(h, i, k);
        for (int i = k; i < vocabSize; i++) {
            if (x[i] > h[0]) {
                h[0] = x[i];
                siftDown(h, 0, k);
            }
        }
        return h[0];
    }

    private static void siftDown(float[] h, int i, int n) {
        while (true) {
            int l = 2 * i + 1;
            if (l >= n) return;
            int c = l + 1 < n && h[l + 1] < h[l] ? l + 1 : l;
            if (!(h[c] < h[i])) return;
            float t = h[c];
            h[c] = h[i];
            h[i] = t;
            i = c;
        }
    }

    /**
     * Top-p over the weights w (sum {@code total}, {@code kept} of them non-zero), then a draw.
     * A token whose weight is below (1 - p) * total / kept cannot be in the nucleus: every token after
     * it in sorted order weighs no more, so the mass from it onwards is below (1 - p) * total. Only the
     * tokens above half that bound (a margin for rounding) become candidates, and the nucleus boundary
     * among them is found by weighted quickselect: expected O(candidates), no sort, even when the
     * distribution is flat and nearly every token is a candidate.
     */
    private int drawFromNucleus(float[] w, double total, int kept) {
        double bound = 0.5 * (1.0 - topP) * total / kept;
        if (scratch.keys == null) scratch.keys = new long[vocabSize];
        long[] k = scratch.keys;
        int n = 0;
        for (int i = 0; i < vocabSize; i++) {
            if (w[i] > 0 && w[i] >= bound) k[n++] = sortKey(w[i], i);
        }
        int size = nucleusSize(k, n, w, topP * total);
        long boundary = Long.MIN_VALUE;
        for (int i = 0; i < size; i++) boundary = Math.max(boundary, k[i]);

        // The draw walks the nucleus in ascending id order: membership is "key <= boundary".
        double mass = 0;
        for (int i = 0; i < vocabSize; i++) {
            if (w[i] > 0 && sortKey(w[i], i) <= boundary) mass += w[i];
        }
        double target = nextDouble() * mass;
        double running = 0;
        int last = -1;
        for (int i = 0; i < vocabSize; i++) {
            if (w[i] > 0 && sortKey(w[i], i) <= boundary) {
                running += w[i];
                last = i;
                if (running > target) return i;
            }
        }
        return last;
    }

    /**
     * Rearranges {@code k[0..n)} so that its first m keys are the m smallest (heaviest tokens), m being
     * the smallest count whose weight reaches {@code limit} (at least 1, at most n), and returns m.
     */
    private static int nucleusSize(long[] k, int n, float[] w, double limit) {
        int lo = 0;
        int hi = n;
        double need = limit;
        while (hi - lo > 24) {
            int p = partition(k, lo, hi);
            double left = 0;
            for (int i = lo; i < p; i++) left += w[(int) k[i]];
            if (left >= need) {
                hi = p;
            } else if (left + w[(int) k[p]] >= need || p + 1 == hi) {
                return p + 1;
            } else {
                need -= left + w[(int) k[p]];
                lo = p + 1;
            }
        }
        // Few keys left: sort them and take the prefix in order.
        Arrays.sort(k, lo, hi);
        double cumulative = 0;
        for (int i = lo; i < hi; i++) {
            cumulative += w[(int) k[i]];
            if (cumulative >= need) return i + 1;
        }
        return Math.max(hi, 1);
    }

    /** Lomuto partition of the distinct keys k[lo..hi) around a median-of-three pivot; returns its index. */
    private static int partition(long[] k, int lo, int hi) {
        int mid = (lo + hi) >>> 1;
        long a = k[lo];
        long b = k[mid];
        long c = k[hi - 1];
        int pi = (a < b) == (b < c) ? mid : (b < a) == (a < c) ? lo : hi - 1;
        long pivot = k[pi];
        k[pi] = k[hi - 1];
        k[hi - 1] = pivot;
        int store = lo;
        for (int i = lo; i < hi - 1; i++) {
            if (k[i] < pivot) {
                long t = k[i];
                k[i] = k[store];
                k[store] = t;
                store++;
            }
        }
        k[hi - 1] = k[store];
        k[store] = pivot;
        return store;
    }

    /** Weight descending, then id ascending, as one long: positive float bits order like the floats. */
    private static long sortKey(float weight, int id) {
        long inverted = Integer.MAX_VALUE - Float.floatToRawIntBits(weight);
        return (inverted << 32) | id;
    }

    private int drawAscending(float[] w, double total) {
        double target = nextDouble() * total;
        double running = 0;
        int last = 0;
        for (int i = 0; i < vocabSize; i++) {
            if (w[i] > 0) {
                running += w[i];
                last = i;
                if (running > target) return i;
            }
        }
        return last;
    }

    /** SplitMix64 (Steele, Lea, Flood 2014): a fixed algorithm, so streams match on every JVM. */
    private double nextDouble() {
        long z = (rngState += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        return (z >>> 11) * 0x1.0p-53;
    }
}
