package dev.kun.model.llama;

import dev.kun.model.generation.CausalLm;
import dev.kun.model.cpu.TensorParallel;
import dev.kun.model.generation.KvCache;
import dev.kun.model.generation.TokenBatch;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.stream.IntStream;

/**
 * The Llama forward pass (also Yi, Mistral and Qwen2, which differ only in configuration and q/k/v
 * biases): embed, then per layer [RMSNorm, attention with rotary positions and grouped-query
 * sharing, residual, RMSNorm, gated SiLU MLP, residual], then a final RMSNorm and the output head.
 * Stateless between calls: the keys and values of earlier tokens live in the {@link KvCache}.
 * Intermediates live in per-layer scopes under the caller's per-step NDManager and are freed as the
 * pass goes; the logits are attached to that manager.
 *
 * <p>With tensor-parallel shards (CPU, see {@link TensorParallel}), every shard runs the whole pass on
 * its own thread with the attention of its heads and the MLP of its columns; the output and down
 * projections give partial sums, which each shard adds into its own copy of the residual stream. With
 * one shard that sum is the plain projection.
 *
 * <p>Read the plain forward first: {@code ReferenceLlama} in the tests
 * (src/test/java/dev/kun/model/llama/ReferenceLlama.java) is the architecture diagram line by line, in
 * float64, and every test here checks this file against it. This file is the same arithmetic arranged
 * for speed, where three things hide the diagram: each residual add is an all-reduce
 * ({@code parallel.allReduce(s, residual, partial)} adds every shard's partial into the residual in
 * place: "residual add 1" after attention, "residual add 2" after the MLP); each RMSNorm's weight is
 * folded at load into the columns of the matrix that reads its output (q/k/v, gate/up, the head), so
 * {@code rmsNorm} here only normalises; and 1/sqrt(headDim) is folded into q's rows.
 */
public final class Llama implements CausalLm, AutoCloseable {
    private static final int[] LAST_AXIS = {-1};

    /** Queries per attention block of a long prefill (see attention()); lowered by tests. */
    static int queryBlock = 128;

    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Rope rope;
    private final TensorParallel parallel;

    /** An unsharded model (weights loaded with one shard): every op on the calling thread. */
    public Llama(LlamaWeights weights, int maxContext, NDManager manager) {
        this(weights, maxContext, TensorParallel.none(), manager);
    }

    /**
     * A model over loaded weights, with rotary tables for positions [0, maxContext), running its
     * shards on {@code parallel} (which must have as many shards as the weights; not closed here).
     */
    public Llama(LlamaWeights weights, int maxContext, TensorParallel parallel, NDManager manager) {
        if (parallel.shards() != weights.shards()) {
            throw new IllegalArgumentException(parallel.shards() + " shard threads for weights in " + weights.shards() + " shards");
        }
        this.config = weights.config();
        this.weights = weights;
        this.parallel = parallel;
        this.rope = new Rope(config, maxContext, weights.layers().get(0).device(), manager);
    }

    /** Longest sequence this model runs (rotary tables end there). */
    public int maxContext() {
        return rope.positions();
    }

    @Override
    public void close() {
        rope.close();
    }

    public LlamaConfig config() {
        return config;
    }

    public LlamaWeights weights() {
        return weights;
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    /**
     * Runs {@code batch} through the model, writing its keys and values into {@code cache}, and returns
     * logits attached to {@code step}: (B, V) at each row's last token, or (B, T, V) at every position
     * when {@code batch.allPositions()}.
     */
    @Override
    public NDArray forward(TokenBatch batch, KvCache cache, NDManager step) {
        int b = batch.rows();
        int t = batch.width();
        int slot = batch.firstSlot();
        if (slot < 0 || slot + b > cache.slots()) {
            throw new IllegalArgumentException("rows " + slot + ".." + (slot + b) + " outside the cache's " + cache.slots() + " slots");
        }
        // Keys this batch attends to: every cached position of its longest row.
        int keys = IntStream.range(0, b).map(r -> batch.start()[r] + batch.tokens()[r].length).max().orElseThrow();
        // Every row reads keys [0, keys) and writes up to its padded reach: both must be in the cache.
        cache.prepare(batch, keys);
        Inputs in = Inputs.of(batch, keys, weights.layers().get(0).device(), weights.dtype(), rope, config.rmsNormEps(), step);
        NDIndex rows = new NDIndex("{}:{}, :, :{}", slot, slot + b, keys); // these rows' slots, keys 0..keys-1

        // Every shard runs the whole pass on its own thread (see TensorParallel); the layers' scopes
        // live under this pass-wide manager, so whatever a shard leaves open is freed when it ends.
        try (NDManager pass = step.newSubManager()) {
            // Token embeddings (B, T, hidden), once; every shard takes its own copy (see shardForward).
            NDArray embedded = weights.embedding().lookup(in.ids, b, t, pass);
            Object[] blocks = parallel.run(s -> shardForward(s, batch, in, embedded, cache, rows, keys, pass, step));
            NDArray logits = blocks.length == 1 ? (NDArray) blocks[0] : concatBlocks(blocks);
            logits.attach(step);
            return logits;
        }
    }

    private static NDArray concatBlocks(Object[] blocks) {
        NDList list = new NDList();
        for (Object block : blocks) list.add((NDArray) block);
        return NDArrays.concat(list, -1);
    }

    /**
     * Shard s's whole pass: embed, then per layer its attention heads and MLP columns, each followed by
     * the all-reduce into its own copy of the residual stream, and finally its block of the vocabulary's
     * logits, attached to {@code step}.
     */
    private NDArray shardForward(int s, TokenBatch batch, Inputs in, NDArray embedded, KvCache cache, NDIndex rows, int keys,
                                 NDManager pass, NDManager step) {
        int b = batch.rows();
        int t = batch.width();
        // The residual stream starts as the token embeddings; with several shards each takes its own
        // copy, which its all-reduces add into in place, and a single shard takes them as they are
        // (a lookup returns a fresh array, never a view of a held table, so adding into it is safe).
        NDArray x = weights.shards() == 1 ? embedded : embedded.duplicate();
        NDManager previousPartials = null;
        for (int l = 0; l < config.layers(); l++) {
            LlamaWeights.Layer w = weights.layers().get(l);
            LlamaWeights.Shard ws = w.shards().get(s);
            // Pipeline by layers: activations follow the weights to this layer's device.
            if (!x.getDevice().equals(w.device())) {
                x = x.toDevice(w.device(), false);
                in = in.to(w.device());
            }
            // Each half-layer's intermediates live in a scope of their own, freed as soon as its partial
            // sum is out, so a pass holds about one half-layer's activations at a time (a 512-token
            // prefill kept ~1.3 GB alive when they lived until the pass returned). Results follow their
            // first operand's manager, so attaching the input puts everything derived from it in the
            // scope. The partials, which other shards read, and the residual stream live in the layer's
            // `partials` scope, closed once every shard has passed the next layer's first all-reduce.
            NDManager partials = pass.newSubManager(w.device());
            // Generation reads only each row's last token after the last layer, and nothing reads the
            // last layer's other positions (their keys and values come from its input): there every row
            // goes on with its last token alone, which skips ~3/4 of that layer's arithmetic.
            boolean lastOnly = in.lastTokens != null && l == config.layers() - 1;
            NDArray mid;
            try (NDManager work = pass.newSubManager(w.device())) {
                x.attach(work);
                // Attention of this shard's heads; the output projections of all shards sum to the whole one.
                NDArray attention = attention(x, ws, l, s, in, cache, rows, keys, b, t, lastOnly, work);
                attention.attach(partials);
                // (B, 1, hidden) of a fresh gather when lastOnly: adding into it leaves x as it was.
                NDArray residual = lastOnly ? x.get(in.lastTokens).reshape(b, 1, config.hiddenSize()) : x;
                // Residual add 1: the residual plus the attention (every shard's partial), in place.
                mid = parallel.allReduce(s, residual, attention);
                mid.attach(partials);
            }
            // Every shard has added the previous layer's partials now (it reached this all-reduce).
            if (previousPartials != null) previousPartials.close();
            try (NDManager work = pass.newSubManager(w.device())) {
                mid.attach(work);
                // Gated MLP of this shard's columns; the down projections of all shards sum to the whole one.
                NDArray mlp = mlp(mid, ws, in.eps);
                mlp.attach(partials);
                // Residual add 2: mid plus the MLP (every shard's partial), in place.
                x = parallel.allReduce(s, mid, mlp);
                x.attach(partials);
            }
            previousPartials = partials;
        }

        // Generation needs only each row's last real token, which is all the last layer kept.
        if (!batch.allPositions()) x = x.reshape(b, config.hiddenSize()); // (B, hidden)
        // Final norm (its weight folded into the head, unless the head is the embedding table itself) and this shard's block of the vocabulary: logits (B, V/shards) or (B, T, V/shards).
        NDArray normed = weights.finalNorm() == null ? rmsNorm(x, in.eps) : rmsNorm(x, in.eps).mul(weights.finalNorm());
        NDArray block = weights.headShards().get(s).apply(normed);
        block.attach(step);
        return block;
    }

    /**
     * One shard's attention on x (B, T, hidden): RMSNorm, its q, k and v heads with rotary positions,
     * its keys and values written into the cache, attention over the cache, and its part of the output
     * projection: a (B, T, hidden) partial sum, or (B, 1, hidden) at each row's last token alone when
     * {@code lastOnly} (every token's keys and values are still cached). Intermediates are attached to
     * {@code scope}.
     */
    private NDArray attention(NDArray x, LlamaWeights.Shard ws, int l, int shard, Inputs in,
                              KvCache cache, NDIndex rows, int keys, int b, int t, boolean lastOnly, NDManager scope) {
        int shards = weights.shards();
        int heads = config.heads() / shards;
        int nKv = config.kvHeads() / shards;
        int groups = config.kvGroups();
        int d = config.headDim();

        // Attention input norm (its weight is in qkv's columns).
        NDArray h = rmsNorm(x, in.eps);
        // q, k and v in one matrix product: (B, T, (heads + 2 kvHeads) headDim)
        NDArray fused = ws.qkv().apply(h);
        // Intermediates are freed as soon as they are consumed, not at the end of the half-layer: a
        // prefill's live activations sit beside a full KV cache at the process's peak memory.
        h.close();
        NDArray qkv = fused.reshape(b, t, heads + 2 * nKv, d); // (B, T, heads + 2 kvHeads, headDim)
        NDList qkAndV = qkv.split(new long[] {heads + nKv}, 2);
        // Rotary positions on q and k together (v carries no position).
        NDArray qk = Rope.rotate(qkAndV.get(0), in.cos, in.sin, in.rotateHalf); // (B, T, heads + kvHeads, headDim)
        NDList qAndK = qk.split(new long[] {heads}, 2);
        NDArray q = qAndK.get(0); // (B, T, heads, headDim)
        NDArray k = qAndK.get(1); // (B, T, kvHeads, headDim)
        NDArray v = qkAndV.get(1); // (B, T, kvHeads, headDim)
        // Write k and v into each row's slot at each token's position, in place.
        cache.keys(l, shard).set(in.cacheIndex, k);
        cache.values(l, shard).set(in.cacheIndex, v);
        qkAndV.close(); // v and the unrotated q and k: all in the cache or rotated now
        qkv.close();
        fused.close();
        // Read back all keys and values of these rows, the new ones included: views, no copy.
        NDArray allK = cache.keys(l, shard).get(scope, rows); // (B, kvHeads, keys, headDim)
        NDArray allV = cache.values(l, shard).get(scope, rows); // (B, kvHeads, keys, headDim)
        NDArray mask = in.mask;
        if (lastOnly) {
            // Each row's last query alone: it sees every key up to its own position.
            q = q.get(in.lastTokens).reshape(b, 1, heads, d); // (B, 1, heads, headDim)
            mask = in.lastMask;
            t = 1;
        }
        // Grouped-query attention: the query heads of one group share their kv head, so group them
        // beside the T axis and attend per kv head instead of repeating k and v `groups` times.
        if (b == 1 && t == 1) {
            // A single sequence's decode step (or its prefill's last query) has one query row per head:
            // there a broadcast multiply-and-sum beats a batched matmul of 1-row matrices, whose
            // per-matrix BLAS calls cost more than the arithmetic (profiled: bmm took 18 of 80 ms per
            // token). Nothing is masked, and with T = 1 no transposes are needed: every reshape below is
            // a view.
            NDArray scores = q.reshape(1, nKv, groups, 1, d).mul(allK.expandDims(2)).sum(new int[] {4}); // (1, kvHeads, groups, keys)
            // PyTorch's softmax is one op where the spelled-out one is five, but it forks its OpenMP
            // threads even for these few scores; with tensor-parallel shards those threads are off.
            NDArray probs = parallel.shards() > 1 ? scores.softmax(3) : softmax(scores);
            NDArray mixed = probs.reshape(1, nKv, groups, keys, 1).mul(allV.expandDims(2)).sum(new int[] {3}); // (1, kvHeads, groups, headDim)
            return ws.output().apply(mixed.reshape(1, 1, heads * d));
        }
        q = q.reshape(b, t, nKv, groups, d) // (B, T, kvHeads, groups, headDim)
                .transpose(0, 2, 3, 1, 4); // (B, kvHeads, groups, T, headDim)
        NDArray mixed; // (B, kvHeads, groups, T, headDim)
        if (t <= queryBlock) {
            mixed = attend(q, allK, allV, mask);
        } else {
            // A long prefill in blocks of queries: block [i0, i1) cannot see keys at or beyond
            // maxStart + i1 (causal), so it skips them; a 512-token prompt computes 5/8 of the scores.
            NDList blocks = new NDList();
            for (int i0 = 0; i0 < t; i0 += queryBlock) {
                int i1 = Math.min(t, i0 + queryBlock);
                int seen = Math.min(keys, in.maxStart + i1);
                blocks.add(attend(
                        q.get(new NDIndex(":, :, :, {}:{}", i0, i1)),
                        allK.get(new NDIndex(":, :, :{}", seen)),
                        allV.get(new NDIndex(":, :, :{}", seen)),
                        mask.get(scope, new NDIndex(":, :, :, {}:{}, :{}", i0, i1, seen))));
            }
            mixed = NDArrays.concat(blocks, 3);
        }
        mixed = mixed.transpose(0, 3, 1, 2, 4) // (B, T, kvHeads, groups, headDim)
                .reshape(b, t, heads * d); // (B, T, heads headDim)
        // This shard's columns of the output projection: a partial sum of the whole.
        return ws.output().apply(mixed);
    }

    /**
     * One shard's gated MLP on x (B, T, hidden): RMSNorm, its gate and up columns, SiLU(gate) * up and
     * its part of the down projection: a (B, T, hidden) partial sum.
     */
    private static NDArray mlp(NDArray x, LlamaWeights.Shard ws, NDArray eps) {
        // MLP input norm (its weight is in gateUp's columns).
        NDArray h = rmsNorm(x, eps);
        // Gate and up projections in one matrix product: (B, T, 2 intermediate)
        NDArray fused = ws.gateUp().apply(h);
        h.close(); // freed once consumed, as in attention()
        NDList gateAndUp = fused.split(2, 2);
        NDArray gate = gateAndUp.get(0); // (B, T, intermediate)
        // SiLU(gate) * up, then this shard's rows of the down projection.
        // In place on sigmoid's fresh result: one (T, I/S) temporary instead of three.
        NDArray gated = Activation.sigmoid(gate).muli(gate).muli(gateAndUp.get(1));
        gateAndUp.close();
        fused.close();
        NDArray down = ws.down().apply(gated);
        gated.close();
        return down;
    }

    /**
     * Scaled dot-product attention of queries q (B, kvHeads, groups, Tq, headDim) over keys and values
     * (B, kvHeads, keys, headDim), under mask (B, 1, 1, Tq, keys) or none (q carries the
     * 1/sqrt(headDim), see LlamaWeights): (B, kvHeads, groups, Tq, headDim). The softmax is PyTorch's,
     * whose results do not move with the padded width, which keeps scores independent of what shares
     * the batch.
     */
    private static NDArray attend(NDArray q, NDArray k, NDArray v, NDArray mask) {
        Shape s = q.getShape();
        long b = s.get(0);
        long nKv = s.get(1);
        long groups = s.get(2);
        long tq = s.get(3);
        long keys = k.getShape().get(2);
        NDArray scores = q.reshape(b, nKv, groups * tq, s.get(4)) // (B, kvHeads, groups Tq, headDim)
                .matMul(k.transpose(0, 1, 3, 2)); // (B, kvHeads, groups Tq, keys)
        if (mask != null) {
            // Causal and padding mask: -inf where a query may not look.
            scores = scores.reshape(b, nKv, groups, tq, keys).add(mask).reshape(b, nKv, groups * tq, keys);
        }
        return scores.softmax(3).matMul(v) // (B, kvHeads, groups Tq, headDim)
                .reshape(b, nKv, groups, tq, s.get(4));
    }

    /**
     * Softmax over the last axis as exp(x - max) / sum: subtracting the row maximum keeps exp from
     * overflowing, and -inf (masked) entries become 0. Spelled out for a single decode step because
     * PyTorch's CPU softmax kernel parallelises even its 12 x 240 scores and waking the threads cost
     * 0.5 ms per call (7 ms per token). Batched passes keep PyTorch's kernel: its results do not move
     * with the padded width, which keeps scores independent of what shares the batch.
     */
    private static NDArray softmax(NDArray x) {
        int last = x.getShape().dimension() - 1;
        NDArray e = x.sub(x.max(new int[] {last}, true)).exp();
        return e.div(e.sum(new int[] {last}, true));
    }

    /**
     * RMSNorm without its learned weight, x / sqrt(mean(x^2) + eps): the weight is folded into the
     * matrix that reads the result (see LlamaWeights). {@code eps} is a tensor made once per pass: adding
     * a Java number makes DJL create and free a scalar tensor on every call.
     */
    private static NDArray rmsNorm(NDArray x, NDArray eps) {
        NDArray squares = x.square();
        NDArray rms = squares.mean(LAST_AXIS, true).add(eps).sqrt();
        squares.close(); // x's size: freed before the result takes as much
        return x.div(rms);
    }

    /**
     * The per-step index tensors, built once on the host side and shared by all layers of one device:
     * token ids, where each token's k/v goes in the cache, its rotary rows, and the attention mask
     * (null when every query may see every key, as in a decode step whose rows have equal lengths).
     */
    private static final class Inputs {
        final long[] ids; // (B, T) row-major
        final NDIndex cacheIndex; // [slot (B, T), :, position (B, T)]
        final NDArray slots; // (B, T)
        final NDArray positions; // (B, T)
        final NDArray cos; // (B, T, 1, headDim)
        final NDArray sin; // (B, T, 1, headDim)
        final NDArray rotateHalf; // (headDim, headDim), see Rope
        final NDArray eps; // the RMSNorm epsilon as a scalar tensor
        final NDArray mask; // (B, 1, 1, T, keys) or null
        // A generation pass of several tokens runs its last layer at each row's last token alone:
        final NDIndex lastTokens; // [row r, last[r]] into (B, T, ...) arrays, or null for other passes
        final NDArray lastMask; // (B, 1, 1, 1, keys) for those last queries, or null when none is masked
        final int[] last; // index of each row's last real token
        final int maxStart; // the largest row start: block [i0, i1) of queries sees keys < maxStart + i1
        final NDManager step;

        private Inputs(long[] ids, NDArray slots, NDArray positions, NDArray cos, NDArray sin, NDArray rotateHalf,
                       NDArray eps, NDArray mask, NDIndex lastTokens, NDArray lastMask, int[] last, int maxStart,
                       NDManager step) {
            this.ids = ids;
            this.slots = slots;
            this.positions = positions;
            this.cacheIndex = new NDIndex("{}, :, {}", slots, positions);
            this.cos = cos;
            this.sin = sin;
            this.rotateHalf = rotateHalf;
            this.eps = eps;
            this.mask = mask;
            this.lastTokens = lastTokens;
            this.lastMask = lastMask;
            this.last = last;
            this.maxStart = maxStart;
            this.step = step;
        }

        static Inputs of(TokenBatch batch, int keys, Device device, DataType dtype, Rope rope, double eps, NDManager step) {
            int b = batch.rows();
            int t = batch.width();
            long[] ids = new long[b * t];
            long[] slots = new long[b * t];
            long[] positions = new long[b * t];
            int[] last = new int[b];
            boolean masked = t > 1;
            for (int r = 0; r < b; r++) {
                int[] row = batch.tokens()[r];
                int start = batch.start()[r];
                last[r] = row.length - 1;
                masked |= start + row.length != keys;
                for (int i = 0; i < t; i++) {
                    // Padding repeats id 0 at the row's following positions: written to the cache
                    // beyond the row's end, masked off, and overwritten by the row's next tokens.
                    ids[r * t + i] = i < row.length ? row[i] : 0;
                    slots[r * t + i] = batch.firstSlot() + r;
                    positions[r * t + i] = start + i;
                }
            }
            NDArray mask = null;
            if (masked) {
                float[] m = new float[b * t * keys];
                for (int r = 0; r < b; r++) {
                    int start = batch.start()[r];
                    for (int i = 0; i < t; i++) {
                        // Query i sees keys up to its own position; a padding query sees what the
                        // row's last real token sees, so its softmax stays finite (and unused).
                        int limit = start + Math.min(i, last[r]);
                        for (int j = limit + 1; j < keys; j++) m[(r * t + i) * keys + j] = Float.NEGATIVE_INFINITY;
                    }
                }
                mask = step.create(m, new Shape(b, 1, 1, t, keys)).toDevice(device, false).toType(dtype, false);
            }
            boolean lastOnly = t > 1 && !batch.allPositions();
            NDIndex lastTokens = lastOnly ? lastTokens(last, device, step) : null;
            NDArray lastMask = null;
            boolean shortRow = false;
            for (int r = 0; r < b; r++) shortRow |= batch.start()[r] + last[r] + 1 != keys;
            if (lastOnly && shortRow) {
                float[] m = new float[b * keys];
                for (int r = 0; r < b; r++) {
                    for (int j = batch.start()[r] + last[r] + 1; j < keys; j++) m[r * keys + j] = Float.NEGATIVE_INFINITY;
                }
                lastMask = step.create(m, new Shape(b, 1, 1, 1, keys)).toDevice(device, false).toType(dtype, false);
            }
            NDArray slotArray = step.create(slots, new Shape(b, t)).toDevice(device, false);
            NDArray positionArray = step.create(positions, new Shape(b, t)).toDevice(device, false);
            NDList cosSin = rope.at(positionArray, step);
            return new Inputs(ids, slotArray, positionArray,
                    cosSin.get(0).toType(dtype, false), cosSin.get(1).toType(dtype, false),
                    rope.rotateHalf().toType(dtype, false), step.create((float) eps).toDevice(device, false).toType(dtype, false),
                    mask, lastTokens, lastMask, last,
                    java.util.Arrays.stream(batch.start()).max().orElse(0), step);
        }

        /** The same inputs on another device (pipeline boundary). */
        Inputs to(Device device) {
            return new Inputs(ids, slots.toDevice(device, false), positions.toDevice(device, false),
                    cos.toDevice(device, false), sin.toDevice(device, false), rotateHalf.toDevice(device, false),
                    eps.toDevice(device, false),
                    mask == null ? null : mask.toDevice(device, false),
                    lastTokens == null ? null : lastTokens(last, device, step),
                    lastMask == null ? null : lastMask.toDevice(device, false), last, maxStart, step);
        }

        /** Index of each row's last real token in a (B, T, ...) array: [row r, last[r]]. */
        private static NDIndex lastTokens(int[] last, Device device, NDManager step) {
            long[] rows = new long[last.length];
            long[] columns = new long[last.length];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = i;
                columns[i] = last[i];
            }
            return new NDIndex("{}, {}", step.create(rows).toDevice(device, false), step.create(columns).toDevice(device, false));
        }
    }
}
