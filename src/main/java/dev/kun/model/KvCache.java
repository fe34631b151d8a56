package dev.kun.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Keys and values of every layer for a fixed number of sequence slots, preallocated as
 * (slots, kvHeads, capacity, headDim) per layer on that layer's device and written in place, so a
 * decode step never copies or concatenates the cache. Capacity grows by doubling up to
 * {@code maxContext}, so short runs do not pay for the longest possible context. Layer i's cache lives
 * on layer i's device.
 */
public final class KvCache implements AutoCloseable {
    /** Capacity granularity: growing by doubling from here copies each entry a bounded number of times. */
    private static final int MIN_CAPACITY = 64;

    private final LlamaConfig config;
    private final List<Device> layerDevices;
    private final int slots;
    private final int maxContext;
    private final DataType dtype;
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int capacity;

    /**
     * An empty cache of {@code slots} sequences of up to {@code maxContext} positions each.
     */
    public KvCache(LlamaConfig config, LayerPlacement placement, int slots, int maxContext, DataType dtype, NDManager parent) {
        this.config = config;
        this.layerDevices = new java.util.ArrayList<>();
        for (int l = 0; l < config.layers(); l++) layerDevices.add(placement.deviceOf(l));
        this.slots = slots;
        this.maxContext = maxContext;
        this.dtype = dtype;
        this.manager = parent.newSubManager();
        this.keys = new NDArray[config.layers()];
        this.values = new NDArray[config.layers()];
        this.capacity = 0;
    }

    public int slots() {
        return slots;
    }

    public int maxContext() {
        return maxContext;
    }

    public int capacity() {
        return capacity;
    }

    /** Keys of layer {@code layer}: (slots, kvHeads, capacity, headDim). */
    public NDArray keys(int layer) {
        return keys[layer];
    }

    /** Values of layer {@code layer}: (slots, kvHeads, capacity, headDim). */
    public NDArray values(int layer) {
        return values[layer];
    }

    /** Makes room for positions [0, positions); existing entries are kept. */
    public void ensureCapacity(int positions) {
        if (positions > maxContext) {
            throw new IllegalArgumentException("position " + positions + " is beyond the context of " + maxContext);
        }
        if (positions <= capacity) return;
        int next = Math.max(MIN_CAPACITY, capacity);
        while (next < positions) next *= 2;
        next = Math.min(next, maxContext);
        for (int l = 0; l < keys.length; l++) {
            keys[l] = grow(keys[l], next, layerDevices.get(l));
            values[l] = grow(values[l], next, layerDevices.get(l));
        }
        capacity = next;
    }

    private NDArray grow(NDArray old, int next, Device device) {
        NDArray fresh = manager.zeros(new Shape(slots, config.kvHeads(), next, config.headDim()), dtype, device);
        if (old != null) {
            fresh.set(new NDIndex(":, :, :{}", capacity), old);
            old.close();
        }
        return fresh;
    }

    /** Copies slot {@code from} over slot {@code to} (positions [0, length)) in every layer. */
    public void move(int from, int to, int length) {
        if (from == to || length == 0) return;
        for (int l = 0; l < keys.length; l++) {
            copySlot(keys[l], from, to, length);
            copySlot(values[l], from, to, length);
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
