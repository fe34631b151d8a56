package dev.kun.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

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
     * Positions zeroed at a time when a slot's readable frontier advances: 16 positions of a 64-wide
     * f32 head fill one 4 KB page, so at most about a page per slot and head is touched ahead of use.
     */
    private static final int ZERO_BLOCK = 16;

    private final LlamaConfig config;
    private final int slots;
    private final int maxContext;
    private final NDManager manager;
    private final NDArray[][] keys; // [layer][shard]
    private final NDArray[][] values;
    /** Per slot: positions [0, finite[s]) hold written or zeroed values, never uninitialised memory. */
    private final int[] finite;

    /** An unsharded cache of {@code slots} sequences of up to {@code maxContext} positions each. */
    public KvCache(LlamaConfig config, LayerPlacement placement, int slots, int maxContext, DataType dtype, NDManager parent) {
        this(config, placement, 1, slots, maxContext, dtype, parent);
    }

    /**
     * A cache of {@code slots} sequences of up to {@code maxContext} positions each, its kv heads split
     * over {@code shards} tensor-parallel shards (each shard's heads in their own tensors).
     */
    public KvCache(LlamaConfig config, LayerPlacement placement, int shards, int slots, int maxContext, DataType dtype,
                   NDManager parent) {
        this.config = config;
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
     * Makes positions [0, positions) of slots [firstSlot, firstSlot + rows) safe to read, zeroing what
     * was never written; rejects positions beyond the context.
     */
    public void prepare(int firstSlot, int rows, int positions) {
        if (positions > maxContext) {
            throw new IllegalArgumentException("position " + positions + " is beyond the context of " + maxContext);
        }
        int to = Math.min(maxContext, (positions + ZERO_BLOCK - 1) / ZERO_BLOCK * ZERO_BLOCK);
        // Neighbouring slots with the same frontier (a batch decoding in step) are zeroed in one op.
        int s = firstSlot;
        while (s < firstSlot + rows) {
            int from = finite[s];
            int end = s + 1;
            while (end < firstSlot + rows && finite[end] == from) end++;
            if (from < positions) {
                NDIndex block = new NDIndex("{}:{}, :, {}:{}", s, end, from, to);
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
                for (int i = s; i < end; i++) finite[i] = to;
            }
            s = end;
        }
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
    int managedArrays() {
        return manager.getManagedArrays().size();
    }

    @Override
    public void close() {
        manager.close();
    }
}
