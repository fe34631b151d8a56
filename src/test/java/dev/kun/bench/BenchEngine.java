package dev.kun.bench;

import dev.kun.generate.TextGenerator;
import dev.kun.model.DjlGenerator;
import java.nio.file.Path;

/** Opens the engine under test as kun would, CPU, with the benchmark's threads, slots and context. */
final class BenchEngine {
    private BenchEngine() {}

    static TextGenerator open(Path dir, int threads, int slots, int maxContext) {
        return DjlGenerator.open(dir, DjlGenerator.Options.defaults()
                .withDevice("cpu", null).withThreads(threads).withMaxBatch(slots).withMaxContext(maxContext));
    }
}
