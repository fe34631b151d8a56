package dev.kun.bench;

import dev.kun.model.DjlGenerator;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Loading figure of issue 15: one engine load ({@link DjlGenerator#open}: config, tokenizer, every
 * weight read, converted and placed) of the checkpoint in DIR, timed, with this process's peak
 * resident memory after it. One load per JVM, so scripts/bench-load.sh can run the safetensors and
 * the PyTorch .bin form of the same weights alternately under the launcher's memory options and
 * compare. Prints one JSON line: {"dir", "seconds", "cpu_seconds" (the process's, all threads, during the
 * load), "peak_rss_mb"}. Not a test.
 *
 * <pre>CheckpointFormsBenchmark DIR [THREADS]</pre>
 */
public final class CheckpointFormsBenchmark {
    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        DjlGenerator.Options options = DjlGenerator.Options.defaults().withMaxBatch(1).withMaxContext(256).withThreads(threads);
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        try (DjlGenerator g = DjlGenerator.open(dir, options)) {
            double seconds = (System.nanoTime() - t0) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            System.out.printf(Locale.ROOT, "{\"dir\":\"%s\",\"seconds\":%.3f,\"cpu_seconds\":%.3f,\"peak_rss_mb\":%.1f}%n", dir,
                    seconds, cpu, ProcessMemory.peakRssBytes() / 1e6);
        }
    }
}
