package dev.kun.model;

import ai.djl.ndarray.NDArray;
import java.util.concurrent.locks.LockSupport;
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
    /**
     * How long a waiting thread polls before it parks. A decode step opens about two parallel regions
     * per layer a few hundred microseconds apart; parking between them and being woken cost ~17% of
     * a step (profiled), polling costs nothing while the shards are busy anyway.
     */
    private static final long SPIN_NANOS = 50_000;

    private final int shards;
    private final Worker[] workers; // shards 1..n-1; shard 0 runs on the caller

    /** A pool for {@code shards} shards ({@code shards - 1} worker threads). */
    TensorParallel(int shards) {
        if (shards < 1) throw new IllegalArgumentException("shards must be >= 1: " + shards);
        this.shards = shards;
        this.workers = new Worker[shards - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].start();
        }
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
     * Not reentrant: one map at a time.
     */
    NDArray[] map(IntFunction<NDArray> shard) {
        NDArray[] out = new NDArray[shards];
        for (Worker w : workers) w.submit(shard);
        RuntimeException failure = null;
        try {
            out[0] = shard.apply(0);
        } catch (RuntimeException e) {
            failure = e;
        }
        for (Worker w : workers) {
            Throwable error = w.await();
            if (error instanceof Error e) throw e;
            if (error != null && failure == null) {
                failure = error instanceof RuntimeException r ? r : new IllegalStateException(error);
            }
            out[w.shard] = w.result;
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
        for (Worker w : workers) w.shutdown();
    }

    /** A thread that runs one shard of each map: polls for work for a while, then parks. */
    private static final class Worker extends Thread {
        final int shard;
        private volatile Thread waiter; // the thread that submitted the current task
        private volatile IntFunction<NDArray> task;
        private volatile long submitted; // generation of the last task handed over
        private volatile long finished; // generation of the last task completed
        private volatile boolean stopped;
        NDArray result;
        Throwable error;

        Worker(int shard) {
            super("kun-shard-" + shard);
            this.shard = shard;
            setDaemon(true); // an unclosed generator must not keep the JVM alive
        }

        void submit(IntFunction<NDArray> work) {
            task = work;
            waiter = Thread.currentThread();
            submitted = submitted + 1; // volatile write publishes task
            LockSupport.unpark(this);
        }

        /** Waits for the task submitted last; returns its failure, or null. */
        Throwable await() {
            long target = submitted;
            long start = System.nanoTime();
            while (finished != target) {
                if (System.nanoTime() - start < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 50_000);
                }
            }
            return error;
        }

        void shutdown() {
            stopped = true;
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            long seen = 0;
            while (!stopped) {
                long start = System.nanoTime();
                while (submitted == seen && !stopped) {
                    if (System.nanoTime() - start < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                }
                if (stopped) return;
                seen = submitted;
                result = null;
                error = null;
                try {
                    result = task.apply(shard);
                } catch (Throwable t) {
                    error = t;
                }
                finished = seen; // volatile write publishes result and error
                LockSupport.unpark(waiter);
            }
        }
    }
}
