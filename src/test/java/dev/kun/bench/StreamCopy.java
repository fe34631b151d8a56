package dev.kun.bench;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * STREAM-style "copy" bandwidth over several threads (McCalpin's convention: bytes read plus bytes
 * written, best of several trials). Buffers are off-heap and freed explicitly afterwards, so the
 * measurement leaves neither resident heap nor a raised peak RSS behind (the caller resets VmHWM).
 */
final class StreamCopy {
    private StreamCopy() {}

    /** Best copy bandwidth in GB/s (1e9 bytes) with {@code threads} threads of {@code bytesPerThread} each. */
    static double bestGbPerSecond(int threads, int bytesPerThread, int trials) throws InterruptedException {
        ByteBuffer[] src = new ByteBuffer[threads];
        ByteBuffer[] dst = new ByteBuffer[threads];
        try {
            for (int t = 0; t < threads; t++) {
                src[t] = ByteBuffer.allocateDirect(bytesPerThread);
                dst[t] = ByteBuffer.allocateDirect(bytesPerThread);
            }
            // Touch every page in the thread that will copy it (first touch places pages on its node).
            runAll(threads, t -> {
                for (int i = 0; i < bytesPerThread; i += 4096) {
                    src[t].put(i, (byte) i);
                    dst[t].put(i, (byte) 0);
                }
            });
            double best = 0;
            for (int trial = 0; trial < trials; trial++) {
                long start = System.nanoTime();
                runAll(threads, t -> dst[t].clear().put(src[t].duplicate().clear()));
                long nanos = System.nanoTime() - start;
                best = Math.max(best, 2.0 * threads * bytesPerThread / nanos);
            }
            return best;
        } finally {
            for (int t = 0; t < threads; t++) {
                free(src[t]);
                free(dst[t]);
            }
        }
    }

    private interface Body {
        void run(int thread);
    }

    private static void runAll(int threads, Body body) throws InterruptedException {
        List<Thread> list = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> body.run(id), "stream-" + t);
            th.start();
            list.add(th);
        }
        for (Thread th : list) th.join();
    }

    /** Releases a direct buffer now rather than at some later GC (sun.misc.Unsafe.invokeCleaner, JDK 9+). */
    private static void free(ByteBuffer buffer) {
        if (buffer == null) return;
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field f = unsafeClass.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            Object unsafe = f.get(null);
            unsafeClass.getMethod("invokeCleaner", ByteBuffer.class).invoke(unsafe, buffer);
        } catch (ReflectiveOperationException e) {
            // Left to the GC: only the peak-RSS figure can suffer, and the caller reports the reset.
        }
    }
}
