package dev.kun.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The shard pool: results in shard order, every shard on its own thread, failures after all finish. */
class TensorParallelTest {

    @Test
    void resultsComeInShardOrderFromDistinctThreads() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); TensorParallel p = new TensorParallel(3)) {
            for (int round = 0; round < 200; round++) {
                Set<String> threads = ConcurrentHashMap.newKeySet();
                int r = round;
                NDArray[] out = p.map(s -> {
                    threads.add(Thread.currentThread().getName());
                    return m.create(new float[] {s * 1000 + r});
                });
                assertEquals(3, out.length);
                for (int s = 0; s < 3; s++) assertArrayEquals(new float[] {s * 1000 + r}, out[s].toFloatArray());
                assertEquals(3, threads.size(), "each shard on its own thread");
                assertArrayEquals(new float[] {3000 + 3 * r}, TensorParallel.sum(out).toFloatArray());
            }
        }
    }

    @Test
    void aFailingShardFailsTheMapOnlyAfterEveryShardFinished() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); TensorParallel p = new TensorParallel(2)) {
            AtomicInteger finished = new AtomicInteger();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.map(s -> {
                if (s == 1) throw new IllegalStateException("shard one broke");
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
                finished.incrementAndGet();
                return m.create(new float[] {s});
            }));
            assertEquals("shard one broke", e.getMessage());
            assertEquals(1, finished.get(), "shard 0 ran to its end before the failure surfaced");
            // The pool still works after a failure.
            assertTrue(p.map(s -> m.create(new float[] {s})).length == 2);
        }
    }

    @Test
    void oneShardRunsOnTheCallersThread() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); TensorParallel p = TensorParallel.none()) {
            Thread caller = Thread.currentThread();
            NDArray[] out = p.map(s -> {
                assertEquals(caller, Thread.currentThread());
                return m.create(new float[] {7});
            });
            assertArrayEquals(new float[] {7}, out[0].toFloatArray());
        }
    }
}
