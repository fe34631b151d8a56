package dev.kun.model;

import ai.djl.ndarray.NDArray;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * Tensor parallelism on the CPU (Megatron's split, one shard per core): each layer's attention heads
 * and MLP columns are divided into shards whose ops run on their own threads at once, with PyTorch's
 * intra-op threading off. On this engine that beats letting PyTorch parallelise each op: MKL's
 * single-row matrix products read weights at 8-9 GB/s whatever its thread count, where two shards read
 * 11-13 GB/s, and the many small ops of a decode step (norms, rotary, attention over the cache) no
 * longer pay an OpenMP fork and join each. Shard 0 runs on the calling thread; with one shard (a GPU,
 * or one core) nothing runs elsewhere and the forward pass is the plain one.
 */
final class TensorParallel implements AutoCloseable {
    private final int shards;
    private final ExecutorService workers; // shards - 1 threads, or null

    /** A pool for {@code shards} shards ({@code shards - 1} worker threads). */
    TensorParallel(int shards) {
        if (shards < 1) throw new IllegalArgumentException("shards must be >= 1: " + shards);
        this.shards = shards;
        this.workers = shards == 1 ? null : Executors.newFixedThreadPool(shards - 1, r -> {
            Thread t = new Thread(r, "kun-shard");
            t.setDaemon(true); // an unclosed generator must not keep the JVM alive
            return t;
        });
    }

    /** One shard, on the caller's thread. */
    static TensorParallel none() {
        return new TensorParallel(1);
    }

    int shards() {
        return shards;
    }

    /**
     * Runs {@code shard.apply(s)} for every shard s and returns the results in shard order, once all
     * have finished (also when one fails: no shard is left running on arrays the caller may free).
     */
    NDArray[] map(IntFunction<NDArray> shard) {
        NDArray[] out = new NDArray[shards];
        if (shards == 1) {
            out[0] = shard.apply(0);
            return out;
        }
        @SuppressWarnings("unchecked")
        Future<NDArray>[] futures = new Future[shards];
        for (int s = 1; s < shards; s++) {
            int id = s;
            futures[s] = workers.submit(() -> shard.apply(id));
        }
        RuntimeException failure = null;
        try {
            out[0] = shard.apply(0);
        } catch (RuntimeException e) {
            failure = e;
        }
        for (int s = 1; s < shards; s++) {
            try {
                out[s] = futures[s].get();
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Error error) throw error;
                if (failure == null) {
                    failure = cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = new IllegalStateException("interrupted while shards ran", e);
            }
        }
        if (failure != null) throw failure;
        return out;
    }

    /** Sum of the shards' partial results (the all-reduce of a row-split matrix product). */
    static NDArray sum(NDArray[] partials) {
        NDArray total = partials[0];
        for (int s = 1; s < partials.length; s++) total = total.add(partials[s]);
        return total;
    }

    @Override
    public void close() {
        if (workers != null) workers.shutdownNow();
    }
}
