package dev.kun.bench;

import ai.djl.ndarray.types.DataType;
import dev.kun.model.checkpoint.SafetensorsWeights;
import dev.kun.testing.TinyCheckpoint;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Weight-reading throughput: every tensor of the reference shape (hidden 768, 12 layers,
 * vocab 32000; 134M parameters) read through {@link SafetensorsWeights} and converted, for each
 * stored dtype and target. The files were just written, so they sit in the page cache: this measures
 * parsing and conversion, not the disk. Not a test; run with scripts/bench-load.sh.
 */
public final class CheckpointLoadBenchmark {
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Path root = Files.createTempDirectory("kun-load-bench");
        try {
            for (String stored : new String[] {"F32", "BF16", "F16"}) {
                Path dir = root.resolve(stored);
                TinyCheckpoint.builder().hidden(768).layers(12).heads(12).kvHeads(12).intermediate(2048).vocab(32000)
                        .maxPositions(2048).dtype(stored).sharded(2).write(dir);
                for (DataType target : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
                    double best = Double.MAX_VALUE;
                    long bytes = 0;
                    for (int r = 0; r < rounds; r++) {
                        long t0 = System.nanoTime();
                        bytes = 0;
                        try (SafetensorsWeights w = SafetensorsWeights.open(dir)) {
                            for (String name : w.names()) {
                                ByteBuffer b = w.read(name, target);
                                bytes += b.remaining();
                            }
                        }
                        best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                    }
                    System.out.printf("stored %-4s -> %-7s %6.0f MB out in %.3f s: %5.2f GB/s%n", stored, target,
                            bytes / 1e6, best, bytes / best / 1e9);
                }
            }
        } finally {
            try (Stream<Path> s = Files.walk(root)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
