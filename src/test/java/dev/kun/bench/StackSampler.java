package dev.kun.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A poor man's profiler: samples one thread's stack every few milliseconds and counts the innermost
 * frames (native DJL calls show as their JNI method), so a missed target names what dominates.
 */
final class StackSampler implements AutoCloseable {
    private final Thread sampler;
    private final Map<String, Integer> leaf = new HashMap<>();
    private final Map<String, Integer> kunFrame = new HashMap<>();
    private volatile boolean running = true;
    private int samples;

    StackSampler(Thread target, int periodMillis) {
        this.sampler = new Thread(() -> {
            while (running) {
                record(target.getStackTrace());
                try {
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "stack-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    private synchronized void record(StackTraceElement[] stack) {
        if (stack.length == 0) return;
        samples++;
        leaf.merge(frame(stack[0]), 1, Integer::sum);
        for (StackTraceElement e : stack) {
            if (e.getClassName().startsWith("dev.kun.") && !e.getClassName().startsWith("dev.kun.bench.")) {
                kunFrame.merge(frame(e), 1, Integer::sum);
                break;
            }
        }
    }

    private static String frame(StackTraceElement e) {
        String cls = e.getClassName();
        return cls.substring(cls.lastIndexOf('.') + 1) + "." + e.getMethodName();
    }

    /** Top frames as "share% frame" lines: innermost frames, then the innermost kun frame of each sample. */
    synchronized String report(int top) {
        return "  innermost frames (" + samples + " samples):\n" + table(leaf, top)
                + "  innermost kun frames:\n" + table(kunFrame, top);
    }

    private String table(Map<String, Integer> counts, int top) {
        return counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(top)
                .map(e -> String.format("    %5.1f%%  %s%n", 100.0 * e.getValue() / Math.max(1, samples), e.getKey()))
                .collect(Collectors.joining());
    }

    @Override
    public void close() {
        running = false;
        sampler.interrupt();
        try {
            sampler.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
