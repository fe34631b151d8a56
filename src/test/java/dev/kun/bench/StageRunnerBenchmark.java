package dev.kun.bench;

import dev.kun.pipeline.RunConfig;
import dev.kun.pipeline.StageRunner;
import dev.kun.testing.TestStages;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;

/**
 * What the runner itself costs (read, parse, validate, serialise, write, checkpoint) with a stage
 * that keeps every record: the ceiling for any stage. Not a test; run with
 * {@code scripts/bench-runner.sh [MB]}. Input: ../shared/data/seed-coig-kun.jsonl repeated to MB.
 */
public final class StageRunnerBenchmark {
    public static void main(String[] args) throws Exception {
        int mb = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        Path seed = Paths.get(System.getProperty("kun.shared.data",
                Paths.get("").toAbsolutePath().resolve("../shared/data").normalize().toString())).resolve("seed-coig-kun.jsonl");
        Path dir = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "kun-bench-runner"));
        Path input = dir.resolve("seed-x" + mb + "MB.jsonl");
        byte[] block = Files.readAllBytes(seed);
        long copies = (mb * 1_000_000L + block.length - 1) / block.length;
        if (!Files.exists(input) || Files.size(input) != copies * block.length) {
            try (OutputStream o = Files.newOutputStream(input)) {
                for (long i = 0; i < copies; i++) o.write(block);
            }
        }
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        for (String name : new String[] {"out.jsonl", "out.jsonl", "out.jsonl.gz"}) {
            Path out = dir.resolve(name);
            RunConfig config = RunConfig.simple(List.of(input.toString()), out).withForce(true);
            long t0 = System.nanoTime();
            long c0 = cpu.getCurrentThreadCpuTime();
            new StageRunner(config).run(TestStages.passthrough(Long.MAX_VALUE));
            double s = (System.nanoTime() - t0) / 1e9;
            double c = (cpu.getCurrentThreadCpuTime() - c0) / 1e9;
            // CPU seconds of the working thread: wall time on a shared machine says little.
            System.out.printf(Locale.ROOT, "runner passthrough -> %s: %.0f MB in %.1f s wall (%.1f MB/s), %.1f s CPU (%.1f MB/s)%n",
                    name, Files.size(input) / 1e6, s, Files.size(input) / 1e6 / s, c, Files.size(input) / 1e6 / c);
        }
    }
}
