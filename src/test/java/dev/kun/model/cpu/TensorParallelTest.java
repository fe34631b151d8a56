package dev.kun.model.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shard pool: results in shard order, every shard on its own thread, all-reduces that give every
 * shard the same sum round after round, and failures that release the other shards.
 */
class TensorParallelTest {

    @Test
    void resultsComeInShardOrderFromDistinctThreads() {
        try (TensorParallel p = new TensorParallel(3)) {
            for (int round = 0; round < 200; round++) {
                Set<String> threads = ConcurrentHashMap.newKeySet();
                int r = round;
                Object[] out = p.run(s -> {
                    threads.add(Thread.currentThread().getName());
                    return s * 1000 + r;
                });
                assertArrayEquals(new Object[] {r, 1000 + r, 2000 + r}, out);
                assertEquals(3, threads.size(), "each shard on its own thread");
            }
        }
    }

    @Test
    void everyShardGetsTheResidualPlusAllPartialsInEveryRound() {
        int shards = 3;
        int rounds = 300;
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); TensorParallel p = new TensorParallel(shards)) {
            Object[] out = p.run(s -> {
                float[] seen = new float[rounds];
                NDArray x = m.create(new float[] {0});
                for (int r = 0; r < rounds; r++) {
                    // Uneven timing, so shards leave a round while others still read it.
                    if (ThreadLocalRandom.current().nextInt(4) == 0) Thread.yield();
                    NDArray partial = m.create(new float[] {(r + 1) * 10 + s});
                    x = p.allReduce(s, x, partial);
                    seen[r] = x.getFloat(0);
                }
                return seen;
            });
            float expected = 0;
            for (int r = 0; r < rounds; r++) {
                expected += 3 * ((r + 1) * 10) + (0 + 1 + 2);
                for (int s = 0; s < shards; s++) {
                    assertEquals(expected, ((float[]) out[s])[r], "shard " + s + " round " + r);
                }
            }
        }
    }

    @Test
    void theSumGoesIntoEachShardsOwnResidualInPlace() {
        // In place, so a prefill allocates no new residual stream per half-layer and shard.
        for (int shards : new int[] {1, 3}) {
            try (NDManager m = NDManager.newBaseManager(Device.cpu());
                 TensorParallel p = shards == 1 ? TensorParallel.none() : new TensorParallel(shards)) {
                Object[] out = p.run(s -> {
                    NDArray residual = m.create(new float[] {100 * s, -1});
                    NDArray sum = p.allReduce(s, residual, m.create(new float[] {s + 1, 1}));
                    return sum == residual ? residual.toFloatArray()[0] + "," + residual.toFloatArray()[1] : "a new array";
                });
                for (int s = 0; s < shards; s++) {
                    float total = shards == 1 ? 1 : 1 + 2 + 3;
                    assertEquals((100f * s + total) + "," + (shards - 1f), out[s], shards + " shards, shard " + s);
                }
            }
        }
    }

    @Test
    @Timeout(20)
    void aFailingShardReleasesTheOthersAndFailsTheRunAfterAllFinished() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); TensorParallel p = new TensorParallel(3)) {
            AtomicInteger released = new AtomicInteger();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.run(s -> {
                NDArray x = m.create(new float[] {0});
                x = p.allReduce(s, x, m.create(new float[] {1}));
                if (s == 1) throw new IllegalStateException("shard one broke");
                try {
                    return p.allReduce(s, x, m.create(new float[] {1})); // shard 1 never arrives
                } finally {
                    released.incrementAndGet();
                }
            }));
            assertEquals("shard one broke", e.getMessage(), "the failing shard's own error, not a release");
            assertEquals(2, released.get(), "both waiting shards were released before the run returned");
            // The pool works after a failure.
            Object[] out = p.run(s -> p.allReduce(s, m.create(new float[] {0}), m.create(new float[] {s})).getFloat(0));
            assertArrayEquals(new Object[] {3f, 3f, 3f}, out);
        }
    }

    @Test
    void oneShardRunsOnTheCallersThread() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); TensorParallel p = TensorParallel.none()) {
            Thread caller = Thread.currentThread();
            Object[] out = p.run(s -> {
                assertEquals(caller, Thread.currentThread());
                return p.allReduce(s, m.create(new float[] {2}), m.create(new float[] {5})).getFloat(0);
            });
            assertArrayEquals(new Object[] {7f}, out);
        }
    }
}
