package dev.kun.model.generation;

import dev.kun.model.cpu.LayerPlacement;
import dev.kun.model.cpu.HugePages;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for a fixed number of sequence slots, allocated once as
 * (slots, kvHeads, maxContext, headDim) per layer on that layer's device and written in place, so a
 * decode step never copies or concatenates the cache and the cache never grows by copying (a growth
 * holds the old and the new cache at once). The tensors are allocated uninitialised: on the CPU the
 * operating system backs a page with memory only when it is first written, so resident memory follows
 * the positions actually used per slot, not slots x maxContext; on a GPU the whole cache is reserved
 * at start, so a run that cannot fit fails at once rather than hours in. Attention reads positions
 * [0, keys) of every row of a batch, beyond a shorter row's own length, so before a pass each row's
 * positions up to that frontier are made finite (zeroed, in blocks) if nothing was written there yet:
 * garbage could be NaN, and NaN survives the mask. Layer i's cache lives on layer i's device.
 */
public final class KvCache implements AutoCloseable {
    /**
     * Positions zeroed at a time when a row reads past its own end (batches of unequal rows): 16
     * positions of a 64-wide f32 head fill one 4 KB page, so at most about a page per slot and head is
     * touched ahead of use, and the zeroing runs once per 16 steps, not every step.
     */
    private static final int ZERO_BLOCK = 16;

    private final int slots;
    private final int maxContext;
    private final NDManager manager;
    private final NDArray[][] keys; // [layer][shard]
    private final NDArray[][] values;
    /** Per slot: positions [0, finite[s]) hold written or zeroed values, never uninitialised memory. */
    private final int[] finite;

    /** An unsharded cache of {@code slots} sequences of up to {@code maxContext} positions each. */
    public KvCache(CacheShape config, LayerPlacement placement, int slots, int maxContext, DataType dtype, NDManager parent) {
        this(config, placement, 1, slots, maxContext, dtype, parent);
    }

    /**
     * A cache of {@code slots} sequences of up to {@code maxContext} positions each, its kv heads split
     * over {@code shards} tensor-parallel shards (each shard's heads in their own tensors).
     */
    public KvCache(CacheShape config, LayerPlacement placement, int shards, int slots, int maxContext, DataType dtype,
                   NDManager parent) {
        this.slots = slots;
        this.maxContext = maxContext;
        this.manager = parent.newSubManager();
        this.keys = new NDArray[config.layers()][shards];
        this.values = new NDArray[config.layers()][shards];
        this.finite = new int[slots];
        Shape shape = new Shape(slots, config.kvHeads() / shards, maxContext, config.headDim());
        try {
            for (int l = 0; l < config.layers(); l++) {
                Device device = placement.deviceOf(l);
                for (int s = 0; s < shards; s++) {
                    // create(shape, dtype) is torch.empty: uninitialised, so untouched pages cost nothing.
                    keys[l][s] = manager.create(shape, dtype, device);
                    values[l][s] = manager.create(shape, dtype, device);
                    // Small pages only: a huge page would make 2 MB resident per 4 KB written.
                    HugePages.forbid(keys[l][s]);
                    HugePages.forbid(values[l][s]);
                }
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public int slots() {
        return slots;
    }

    public int maxContext() {
        return maxContext;
    }

    /** Keys of layer {@code layer}, shard {@code shard}: (slots, kvHeads / shards, maxContext, headDim). */
    public NDArray keys(int layer, int shard) {
        return keys[layer][shard];
    }

    /** Values of layer {@code layer}, shard {@code shard}: (slots, kvHeads / shards, maxContext, headDim). */
    public NDArray values(int layer, int shard) {
        return values[layer][shard];
    }

    /** Keys of layer {@code layer} of an unsharded cache. */
    public NDArray keys(int layer) {
        return keys(layer, 0);
    }

    /** Values of layer {@code layer} of an unsharded cache. */
    public NDArray values(int layer) {
        return values(layer, 0);
    }

    /**
     * Makes every position {@code batch} reads finite: row r reads positions [0, keys) of slot
     * firstSlot + r and writes [start, start + width), padding included. What a row reads but that was
     * never written, nor is written by this pass, is zeroed (a shorter row of a batch reads past its
     * own end), in blocks of {@link #ZERO_BLOCK} positions; what the pass writes is not touched ahead
     * of it, so a slot's resident memory follows the positions it actually holds. Rejects a batch that
     * reaches beyond the context.
     */
    public void prepare(TokenBatch batch, int keys) {
        if (batch.reach() > maxContext || keys > maxContext) {
            throw new IllegalArgumentException("position " + Math.max(keys, batch.reach()) + " is beyond the context of " + maxContext);
        }
        int rows = batch.rows();
        int width = batch.width();
        int first = batch.firstSlot();
        // Per row: what must be zeroed past what is finite once this pass has written, [from, to).
        int[] from = new int[rows];
        int[] to = new int[rows];
        for (int r = 0; r < rows; r++) {
            int slot = first + r;
            int start = batch.start()[r];
            if (finite[slot] < start) {
                // Never the case for generation, which fills a slot from 0: zero the gap before the writes.
                zero(slot, slot + 1, finite[slot], start);
                finite[slot] = start;
            }
            from[r] = Math.max(finite[slot], start + width);
            to[r] = keys > from[r] ? Math.min(maxContext, (keys + ZERO_BLOCK - 1) / ZERO_BLOCK * ZERO_BLOCK) : from[r];
            finite[slot] = to[r];
        }
        // Neighbouring rows with the same range (a batch decoding in step) are zeroed in one op.
        int r = 0;
        while (r < rows) {
            int end = r + 1;
            while (end < rows && from[end] == from[r] && to[end] == to[r]) end++;
            if (from[r] < to[r]) zero(first + r, first + end, from[r], to[r]);
            r = end;
        }
    }

    /** Zeroes positions [from, to) of slots [firstSlot, endSlot) in every layer. */
    private void zero(int firstSlot, int endSlot, int from, int to) {
        NDIndex block = new NDIndex("{}:{}, :, {}:{}", firstSlot, endSlot, from, to);
        // A scoped zero: set(index, Number) would leave a scalar array on the cache's manager.
        try (NDManager scope = manager.newSubManager()) {
            for (int l = 0; l < keys.length; l++) {
                NDArray zero = scope.zeros(new Shape(), keys[l][0].getDataType(), keys[l][0].getDevice());
                for (int h = 0; h < keys[l].length; h++) {
                    keys[l][h].set(block, zero);
                    values[l][h].set(block, zero);
                }
            }
        }
    }

    /**
     * Bytes of the positions written or zeroed so far, over all slots and layers: on the CPU, where
     * untouched pages are never backed, the memory the cache actually holds.
     */
    public long bytesHeld() {
        long positions = 0;
        for (int f : finite) positions += f;
        long perPosition = 0;
        for (int l = 0; l < keys.length; l++) {
            for (int h = 0; h < keys[l].length; h++) {
                Shape s = keys[l][h].getShape();
                perPosition += 2 * s.get(1) * s.get(3) * keys[l][h].getDataType().getNumOfBytes();
            }
        }
        return positions * perPosition;
    }

    /** Copies slot {@code from} over slot {@code to} (positions [0, length)) in every layer. */
    public void move(int from, int to, int length) {
        if (from == to || length == 0) return;
        finite[to] = Math.max(finite[to], length);
        for (int l = 0; l < keys.length; l++) {
            for (int h = 0; h < keys[l].length; h++) {
                copySlot(keys[l][h], from, to, length);
                copySlot(values[l][h], from, to, length);
            }
        }
    }

    private void copySlot(NDArray cache, int from, int to, int length) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray source = cache.get(scope, new NDIndex("{}:{}, :, :{}", from, from + 1, length));
            cache.set(new NDIndex("{}:{}, :, :{}", to, to + 1, length), source);
        }
    }

    /** Number of NDArrays held (for leak tests: stays 2 per layer whatever the number of steps). */
    public int managedArrays() {
        return manager.getManagedArrays().size();
    }

    @Override
    public void close() {
        manager.close();
    }
}
