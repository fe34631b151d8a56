package dev.kun.bench;

import com.sun.management.OperatingSystemMXBean;
import dev.kun.Kun;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code kun filter} (all rules) run repeatedly inside one JVM: the first run is what a user sees
 * cold, the later ones the steady state without start-up and JIT warm-up. Reports wall and process
 * CPU seconds per run, so figures stay readable on a shared machine. The end-to-end figure of the
 * issue is {@code scripts/bench-filter.sh}; this one is for profiling the hot path.
 * Usage: {@code FilterBenchmark INPUT.jsonl [RUNS]}.
 */
public final class FilterBenchmark {
    private FilterBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path input = Path.of(args.length > 0 ? args[0] : "../shared/data/seed-coig-kun.jsonl");
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        double mb = Files.size(input) / 1e6;
        Path dir = Files.createTempDirectory("kun-filter-bench");
        OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        for (int run = 1; run <= runs; run++) {
            Path out = dir.resolve("out.jsonl");
            Path rejects = dir.resolve("rejects.jsonl");
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            int code = Kun.run("filter", "-i", input.toString(), "-o", out.toString(), "--rejects", rejects.toString(),
                    "--progress", "never", "--force");
            double wall = (System.nanoTime() - t0) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            if (code != 0) {
                throw new IllegalStateException("kun filter exited " + code);
            }
            System.out.printf("run %d: %.0f MB  wall %.2f s (%.1f MB/s)  cpu %.2f s (%.1f MB/s per cpu-second)%n",
                    run, mb, wall, mb / wall, cpu, mb / cpu);
            Files.deleteIfExists(out);
            Files.deleteIfExists(rejects);
            Files.deleteIfExists(dir.resolve("out.jsonl.checkpoint"));
        }
        Files.deleteIfExists(dir);
    }
}
