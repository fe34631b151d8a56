package dev.kun.pipeline.fault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.testing.Captured;
import dev.kun.testing.TestStageCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two kun processes on one output. A live run's files are never taken over: not by a rerun, not by
 * {@code --force}, not by a run on other input; the one that started first finishes with exactly the
 * output of a run alone, and only a run that wrote every byte marks it complete.
 */
class ConcurrentRunTest {
    @TempDir Path dir;
    Path input;
    Path other;

    @BeforeEach
    void corpus() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 300; i++) b.append("{\"id\":\"r").append(i).append("\",\"text\":\"t ").append(i % 97).append("\"}\n");
        input = Files.writeString(dir.resolve("in.jsonl"), b);
        other = Files.writeString(dir.resolve("other.jsonl"), "{\"text\":\"someone else's\"}\n");
    }

    private static List<String> args(Path in, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("--stage", "dedup", "--batch", "3", "-i", in.toString(),
                "-o", out.toString(), "--rejects", out.resolveSibling("rejects.jsonl").toString(),
                "--stats", out.resolveSibling("stats.json").toString(), "--checkpoint-every", "30"));
        a.addAll(List.of(extra));
        return a;
    }

    private static Captured inProcess(List<String> args) {
        List<String> all = new ArrayList<>(List.of("test-stage"));
        all.addAll(args);
        return Captured.run(new byte[0], () -> TestStageCommand.kun(all.toArray(String[]::new)));
    }

    private Path reference() throws IOException {
        Path out = Files.createDirectories(dir.resolve("reference")).resolve("out.jsonl");
        Captured c = inProcess(args(input, out));
        assertEquals(0, c.code(), c.stderr());
        return out;
    }

    private static void assertSameFinishedRun(Path expected, Path actual) throws IOException {
        assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(actual), "output bytes");
        assertArrayEquals(Files.readAllBytes(expected.resolveSibling("rejects.jsonl")),
                Files.readAllBytes(actual.resolveSibling("rejects.jsonl")), "rejects bytes");
        assertTrue(Files.readString(Checkpoint.of(actual)).contains("\"complete\" : true"), "complete checkpoint");
        try (Stream<Path> left = Files.list(actual.getParent())) {
            List<String> names = left.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("out.jsonl", "out.jsonl.checkpoint", "rejects.jsonl", "stats.json"), names,
                    "no .part, .lock or .tmp left");
        }
    }

    /** The checkpoint beside an output. */
    private static final class Checkpoint {
        static Path of(Path out) {
            return out.resolveSibling(out.getFileName() + ".checkpoint");
        }
    }

    private static void awaitFile(Path p, Child child) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!Files.exists(p) && child.alive() && System.nanoTime() < deadline) Thread.sleep(5);
        assertTrue(child.alive(), "the first run is still running once it writes " + p + ": " + child.stderr());
    }

    @Test
    void forceNeverTakesOverTheOutputOfALiveRun() throws Exception {
        Path expected = reference();
        Path out = Files.createDirectories(dir.resolve("race")).resolve("out.jsonl");
        Child first = Child.testStage(dir.resolve("first.err"), args(input, out, "--sleep-millis", "12"));
        awaitFile(out.resolveSibling("out.jsonl.part"), first);

        // The same command with --force, one on other input with --force, and a plain rerun: all refused.
        for (List<String> second : List.of(args(input, out, "--force"), args(other, out, "--force"), args(input, out))) {
            Captured c = inProcess(second);
            assertEquals(2, c.code(), c.stderr());
            assertTrue(c.stderr().startsWith("kun: " + out + " is being written by another kun process (pid "),
                    c.stderr());
        }
        assertEquals(0, first.exitCode(), first.stderr());
        assertSameFinishedRun(expected, out);
    }

    @Test
    void aRunOnlyRefusesTheRejectsFileAnotherLiveRunWrites() throws Exception {
        Path out = Files.createDirectories(dir.resolve("shared-rejects")).resolve("out.jsonl");
        Child first = Child.testStage(dir.resolve("first.err"), args(input, out, "--sleep-millis", "12"));
        awaitFile(out.resolveSibling("rejects.jsonl.part"), first);
        // Another output, but the same rejects file: --force must not delete the live run's rejects.part.
        Captured c = inProcess(List.of("--stage", "dedup", "-i", other.toString(), "-o", out.resolveSibling("b.jsonl").toString(),
                "--rejects", out.resolveSibling("rejects.jsonl").toString(), "--force"));
        assertEquals(2, c.code(), c.stderr());
        assertTrue(c.stderr().contains(out.resolveSibling("rejects.jsonl") + " is being written by another kun process"), c.stderr());
        assertFalse(Files.exists(out.resolveSibling("b.jsonl")));
        assertEquals(0, first.exitCode(), first.stderr());
        assertSameFinishedRun(reference(), out);
    }

    @Test
    void forcedRunsStartedTogetherLeaveOneCompleteRunsOutput() throws Exception {
        Path expected = reference();
        for (int round = 0; round < 3; round++) {
            Path out = Files.createDirectories(dir.resolve("together-" + round)).resolve("out.jsonl");
            Child a = Child.testStage(dir.resolve("a" + round + ".err"), args(input, out, "--force", "--sleep-millis", "2"));
            Child b = Child.testStage(dir.resolve("b" + round + ".err"), args(input, out, "--force", "--sleep-millis", "2"));
            int codeA = a.exitCode();
            int codeB = b.exitCode();
            assertTrue((codeA == 0 || codeA == 2) && (codeB == 0 || codeB == 2) && (codeA == 0 || codeB == 0),
                    "exit codes " + codeA + " and " + codeB + ":\n" + a.stderr() + "\n" + b.stderr());
            for (Child refused : new Child[] {a, b}) {
                if (refused.exitCode() == 2) assertTrue(refused.stderr().contains("is being written by another kun process"), refused.stderr());
            }
            assertSameFinishedRun(expected, out);
        }
    }
}
