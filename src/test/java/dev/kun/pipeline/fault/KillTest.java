package dev.kun.pipeline.fault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.Kun;
import dev.kun.pipeline.Checkpoint;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the real stages (seed, filter, and label on the bundled tiny model) at random moments, a few times each, then the same command
 * to the end: output, rejects and counters equal those of a run that never stopped. A checkpoint every
 * few records (each one fsynced in the background) keeps the runs long enough to be killed mid-way, and
 * puts many of the kills between a checkpoint's fsync and its write.
 */
class KillTest {
    @TempDir Path dir;

    /** Kills per stage: enough to land in different places, few enough to keep the suite fast. */
    private static final int KILLS = 3;

    private static Path repeat(Path source, int times, Path to) throws IOException {
        byte[] once = Files.readAllBytes(source);
        try (var out = Files.newOutputStream(to)) {
            for (int i = 0; i < times; i++) out.write(once);
        }
        return to;
    }

    private static List<String> withOutputs(List<String> command, Path out) {
        List<String> a = new ArrayList<>(command);
        a.addAll(List.of("-o", out.toString(), "--rejects", out.resolveSibling("rejects.jsonl.gz").toString(),
                "--stats", out.resolveSibling("stats.json").toString(), "--progress", "never"));
        return a;
    }

    private static long consumed(Path checkpoint) {
        if (!Files.exists(checkpoint)) return -1;
        try {
            return Checkpoint.read(checkpoint).consumed();
        } catch (RuntimeException renamedUnderUs) {
            return -1;
        }
    }

    private static ObjectNode counters(Path stats) throws IOException {
        ObjectNode n = (ObjectNode) Json.MAPPER.readTree(stats.toFile());
        n.remove("seconds");
        return n;
    }

    private void killRepeatedlyThenFinish(String name, List<String> command) throws Exception {
        Path expected = Files.createDirectories(dir.resolve("reference-" + name)).resolve("out.jsonl.gz");
        Captured ref = Captured.run(new byte[0], () -> Kun.run(withOutputs(command, expected).toArray(String[]::new)));
        assertEquals(0, ref.code(), ref.stderr());

        Path out = Files.createDirectories(dir.resolve("killed-" + name)).resolve("out.jsonl.gz");
        Path checkpoint = out.resolveSibling("out.jsonl.gz.checkpoint");
        Random random = new Random(name.hashCode());
        long killedAfter = -1;
        int kills = 0;
        for (int attempt = 0; attempt < KILLS; attempt++) {
            Child child = Child.kun(dir.resolve(name + "-" + attempt + ".err"), List.of(), withOutputs(command, out));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (child.alive() && consumed(checkpoint) <= killedAfter && System.nanoTime() < deadline) Thread.sleep(2);
            if (child.waitFor(random.nextInt(60))) {
                assertEquals(0, child.exitCode(), child.stderr());
                break;
            }
            child.kill();
            kills++;
            long now = consumed(checkpoint);
            assertTrue(now > killedAfter, name + ": each killed run committed progress");
            killedAfter = now;
        }
        assertTrue(kills > 0, name + ": killed at least once mid-run");
        Captured last = Captured.run(new byte[0], () -> Kun.run(withOutputs(command, out).toArray(String[]::new)));
        assertEquals(0, last.code(), last.stderr());
        assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(out), name + " output");
        assertArrayEquals(Files.readAllBytes(expected.resolveSibling("rejects.jsonl.gz")),
                Files.readAllBytes(out.resolveSibling("rejects.jsonl.gz")), name + " rejects");
        assertEquals(counters(expected.resolveSibling("stats.json")), counters(out.resolveSibling("stats.json")), name);
    }

    @Test
    void filterKilledAtRandomMomentsFinishesAsIfNeverStopped() throws Exception {
        Path in = repeat(Path.of("data-samples", "seed-coig-kun.jsonl"), 20, dir.resolve("seed-x20.jsonl"));
        killRepeatedlyThenFinish("filter", List.of("filter", "-i", in.toString(), "--checkpoint-every", "9"));
    }

    @Test
    void seedKilledAtRandomMomentsFinishesAsIfNeverStopped() throws Exception {
        // Copies of the corpus: near and exact duplicates, so the resumed run must rebuild its dedup state.
        Path in = repeat(Path.of("data-samples", "corpus-cmrc2018.jsonl"), 6, dir.resolve("corpus-x6.jsonl"));
        killRepeatedlyThenFinish("seed", List.of("seed", "-i", in.toString(), "-i", Path.of("data-samples", "corpus-cmrc2018.txt").toString(),
                "--checkpoint-every", "3"));
    }

    @Test
    void labelKilledAtRandomMomentsFinishesAsIfNeverStopped() throws Exception {
        // A model stage: the bundled tiny checkpoint, greedy so that the comparison is of resume alone, a
        // checkpoint every two records so that kills land between model batches and inside them.
        killRepeatedlyThenFinish("label", List.of("label", "--model", Path.of("data-samples", "tiny-model").toString(),
                "--device", "cpu", "-i", Path.of("data-samples", "corpus-cmrc2018.jsonl").toString(),
                "--temperature", "0", "--max-tokens", "8", "--keep-truncated", "--batch-size", "2",
                "--checkpoint-every", "2"));
    }
}
