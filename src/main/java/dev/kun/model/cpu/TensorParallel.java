package dev.kun.model.cpu;

import ai.djl.ndarray.NDArray;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

/**
 * Tensor parallelism on the CPU (Megatron's split, one shard per core): each layer's attention heads
 * and MLP columns are divided into shards, and every shard runs the whole forward pass on its own
 * thread, meeting the others only at the all-reduce after each row-split matrix product (two per
 * layer). PyTorch's intra-op threading is off meanwhile. On this engine that beats letting PyTorch
 * parallelise each op: MKL's single-row matrix products read weights at 8-9 GB/s whatever its thread
 * count, where two shards read 11-13 GB/s, and the many small ops of a decode step (norms, rotary,
 * attention over the cache) no longer pay an OpenMP fork and join each.
 *
 * <p>Each shard adds every shard's partial to its own copy of the residual stream, in shard order, so
 * all copies stay bitwise equal without a thread that gathers and hands work out between products
 * (that hand-off left the other shard idle ~20% of a decode step). Shard 0 runs on the calling thread;
 * with one shard (a GPU, or one core) nothing runs elsewhere and the pass is the plain one.
 */
public final class TensorParallel implements AutoCloseable {
    /**
     * How long a waiting thread polls before it parks. A decode step meets about two all-reduces per
     * layer a few hundred microseconds apart; parking and being woken cost ~17% of a step (profiled),
     * while polling costs nothing when every shard has a core of its own.
     */
    private static final long SPIN_NANOS = 200_000;

    private final int shards;
    private final Worker[] workers; // shards 1..n-1; shard 0 runs on the caller

    // The all-reduce of the current run: partials of even and odd rounds in separate rows, since a
    // shard leaving round r may post round r+1 while another still reads round r (never r+2: it
    // cannot pass round r+1 before every shard has arrived there, done with round r).
    private final NDArray[][] partials;
    private final int[] rounds; // per shard, written by its own thread only
    private final AtomicInteger arrived = new AtomicInteger();
    private volatile int generation;
    private volatile boolean broken;

    /** A pool for {@code shards} shards ({@code shards - 1} worker threads). */
    public TensorParallel(int shards) {
        if (shards < 1) throw new IllegalArgumentException("shards must be >= 1: " + shards);
        this.shards = shards;
        this.partials = new NDArray[2][shards];
        this.rounds = new int[shards];
        this.workers = new Worker[shards - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].start();
        }
    }

    /** One shard, on the caller's thread. */
    public static TensorParallel none() {
        return new TensorParallel(1);
    }

    public int shards() {
        return shards;
    }

    /**
     * Runs {@code shard.apply(s)} for every shard s, each on its own thread, and returns the results
     * in shard order once all have finished (also when one fails: no shard is left running on arrays
     * the caller may free; shards waiting in {@link #allReduce} for a failed one are released).
     * Not reentrant: one run at a time.
     */
    public Object[] run(IntFunction<?> shard) {
        arrived.set(0);
        broken = false;
        java.util.Arrays.fill(rounds, 0);
        Object[] out = new Object[shards];
        for (Worker w : workers) w.submit(shard);
        Throwable failure = null;
        try {
            out[0] = shard.apply(0);
        } catch (Throwable e) {
            broken = true;
            failure = e;
        }
        for (Worker w : workers) {
            Throwable error = w.await();
            failure = firstCause(failure, error);
            out[w.shard] = w.result;
        }
        for (NDArray[] row : partials) java.util.Arrays.fill(row, null);
        if (failure instanceof Error e) throw e;
        if (failure instanceof RuntimeException e) throw e;
        if (failure != null) throw new IllegalStateException(failure);
        return out;
    }

    /** The failure to report: a shard's own, rather than another's release from the all-reduce. */
    private static Throwable firstCause(Throwable kept, Throwable next) {
        if (next == null) return kept;
        if (kept == null || (kept instanceof ShardFailed && !(next instanceof ShardFailed))) return next;
        return kept;
    }

    /**
     * The all-reduce of a row-split product, called by every shard of a {@link #run} in the same
     * order: adds every shard's {@code partial}, in shard order, into this shard's own
     * {@code residual} in place (so the sums are equal on all shards) and returns it. In place because
     * a prefill's residual stream is the size of its hidden states, and a fresh sum per half-layer and
     * shard was one more such array beside a full KV cache at the peak. The partials must stay alive
     * until every shard has reached its next all-reduce.
     */
    public NDArray allReduce(int shard, NDArray residual, NDArray partial) {
        if (shards == 1) return residual.addi(partial);
        NDArray[] posted = partials[rounds[shard]++ & 1];
        posted[shard] = partial;
        await(); // publishes every shard's partial of this round
        for (NDArray p : posted) residual.addi(p);
        return residual;
    }

    /** A barrier of all shards; throws if a shard failed instead of arriving. */
    private void await() {
        int g = generation;
        if (arrived.incrementAndGet() == shards) {
            arrived.set(0);
            generation = g + 1; // releases the others
            return;
        }
        long start = System.nanoTime();
        while (generation == g) {
            if (broken) throw new ShardFailed();
            if (System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(this, 20_000);
            }
        }
    }

    @Override
    public void close() {
        for (Worker w : workers) w.shutdown();
    }

    /** Thrown in a shard waiting for one that failed; the run reports that shard's own failure. */
    private static final class ShardFailed extends RuntimeException {
        ShardFailed() {
            super("another tensor-parallel shard failed", null, false, false);
        }
    }

    /** A thread that runs one shard of each run: polls for work for a while, then parks. */
    private final class Worker extends Thread {
        final int shard;
        private volatile Thread waiter; // the thread that submitted the current task
        private volatile IntFunction<?> task;
        private volatile long submitted; // generation of the last task handed over
        private volatile long finished; // generation of the last task completed
        private volatile boolean stopped;
        Object result;
        Throwable error;

        Worker(int shard) {
            super("kun-shard-" + shard);
            this.shard = shard;
            setDaemon(true); // an unclosed generator must not keep the JVM alive
        }

        void submit(IntFunction<?> work) {
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
                    broken = true;
                    error = t;
                }
                finished = seen; // volatile write publishes result and error
                LockSupport.unpark(waiter);
            }
        }
    }
}
