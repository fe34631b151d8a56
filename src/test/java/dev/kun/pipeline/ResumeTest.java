package dev.kun.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import dev.kun.testing.TestStageCommand;
import dev.kun.testing.TestStages.SimulatedCrash;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interrupted runs, rerun with the same arguments, must produce the very bytes of a run that never
 * stopped: output, rejects and counters. Crashes are simulated in process (an Error thrown by the
 * stage, files left as they are) and for real (kill -9 of a child JVM at random moments).
 */
class ResumeTest {
    @TempDir Path dir;
    Path inputs;

    @BeforeEach
    void corpus() throws IOException {
        inputs = Files.createDirectories(dir.resolve("in"));
        Random random = new Random(7);
        StringBuilder a = new StringBuilder();
        for (int i = 0; i < 120; i++) {
            if (i % 37 == 5) a.append("{broken json\n");
            if (i % 41 == 9) a.append("\n");
            a.append("{\"id\":\"a").append(i).append("\",\"text\":\"文本 ").append(random.nextInt(60)).append(" 😀\"}\n");
        }
        Files.writeString(inputs.resolve("a.jsonl"), a);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 90; i++) b.append("{\"text\":\"b ").append(random.nextInt(50)).append("\",\"k\":").append(i).append("}\n");
        b.append("{\"no_text\":true}\n");
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream o = new GZIPOutputStream(gz)) {
            o.write(b.toString().getBytes(StandardCharsets.UTF_8));
        }
        Files.write(inputs.resolve("b.jsonl.gz"), gz.toByteArray());
        StringBuilder c = new StringBuilder("[\n");
        for (int i = 0; i < 60; i++) c.append(i == 0 ? "" : ",\n").append("{\"instruction\":\"q").append(i).append("\",\"text\":\"c ").append(random.nextInt(30)).append("\"}");
        Files.writeString(inputs.resolve("c.json"), c.append("\n]\n"));
    }

    private List<String> args(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("test-stage", "--stage", "dedup", "-i", inputs.toString(),
                "-o", out.toString(), "--rejects", out.resolveSibling("rejects.jsonl.gz").toString(),
                "--stats", out.resolveSibling("stats.json").toString(), "--on-error", "skip", "--checkpoint-every", "7"));
        a.addAll(List.of(extra));
        return a;
    }

    private static Captured kun(List<String> args) {
        return Captured.run(new byte[0], () -> TestStageCommand.kun(args.toArray(String[]::new)));
    }

    private Path reference(String outName, String batch) {
        Path out = dir.resolve("reference").resolve(outName);
        try {
            Files.createDirectories(out.getParent());
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        Captured c = kun(args(out, "--batch", batch));
        assertEquals(0, c.code(), c.stderr());
        return out;
    }

    private static byte[] gunzip(Path p) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(Files.newInputStream(p))) {
            return in.readAllBytes();
        }
    }

    /** Input records the checkpoint says are committed; -1 before the first checkpoint. */
    private static long consumed(Path checkpoint) throws IOException {
        if (!Files.exists(checkpoint)) return -1;
        return Checkpoint.read(checkpoint).consumed();
    }

    private static ObjectNode counters(Path stats) throws IOException {
        ObjectNode n = (ObjectNode) Json.MAPPER.readTree(stats.toFile());
        n.remove("seconds");
        return n;
    }

    private void assertSameRun(Path expected, Path actual) throws IOException {
        assertArrayEquals(Files.readAllBytes(expected), Files.readAllBytes(actual), "output bytes");
        assertArrayEquals(Files.readAllBytes(expected.resolveSibling("rejects.jsonl.gz")),
                Files.readAllBytes(actual.resolveSibling("rejects.jsonl.gz")), "rejects bytes");
        assertEquals(counters(expected.resolveSibling("stats.json")), counters(actual.resolveSibling("stats.json")));
        assertFalse(Files.exists(actual.resolveSibling(actual.getFileName() + ".part")));
    }

    @Test
    void referenceRunAccountsForEveryInputRecordOnce() throws IOException {
        Path out = reference("out.jsonl.gz", "1");
        ObjectNode stats = counters(out.resolveSibling("stats.json"));
        String kept = new String(gunzip(out), StandardCharsets.UTF_8);
        String rejected = new String(gunzip(out.resolveSibling("rejects.jsonl.gz")), StandardCharsets.UTF_8);
        long keptLines = kept.lines().count();
        long rejectLines = rejected.lines().count();
        // 120 + 4 broken in a, 90 + 1 without text in b, 60 in c; blank lines are not records.
        assertEquals(275, stats.get("total").asLong());
        assertEquals(275, keptLines + rejectLines);
        assertEquals(stats.get("kept").asLong(), keptLines);
        assertEquals(4, stats.get("bad_input_malformed_json").asLong());
        assertEquals(1, stats.get("bad_input_missing_field").asLong());
        assertTrue(stats.get("dropped_duplicate").asLong() > 20, stats.toString());
        assertTrue(kept.contains("😀"));
    }

    /** Dozens of runs with a checkpoint every 7 records: skip the fsyncs (the kill -9 child keeps them). */
    @BeforeAll
    static void noFsync() {
        System.setProperty("kun.fsync", "false");
    }

    @AfterAll
    static void fsyncAgain() {
        System.clearProperty("kun.fsync");
    }

    @Test
    void crashAtManyPointsThenRerunIsByteIdentical() throws IOException {
        for (String batch : new String[] {"1", "4"}) {
            for (String name : new String[] {"out.jsonl.gz", "out.jsonl"}) {
                Path expected = reference(name, batch);
                for (long crashAfter : new long[] {0, 6, 8, 133, 269}) {
                    Path out = dir.resolve("crash-" + batch + "-" + crashAfter).resolve(name);
                    Files.createDirectories(out.getParent());
                    assertThrows(SimulatedCrash.class,
                            () -> kun(args(out, "--batch", batch, "--crash-after", String.valueOf(crashAfter))));
                    assertFalse(Files.exists(out), "no final output after a crash");
                    // A second crash during the resumed run (unless it is near the end), then a clean finish.
                    try {
                        kun(args(out, "--batch", batch, "--crash-after", "9"));
                    } catch (SimulatedCrash expectedMostTimes) {
                        // as intended
                    }
                    Captured c = kun(args(out, "--batch", batch));
                    assertEquals(0, c.code(), c.stderr());
                    assertSameRun(expected, out);
                }
            }
        }
    }

    @Test
    void completedRunIsNotRedone() throws IOException {
        Path out = reference("out.jsonl.gz", "1");
        byte[] before = Files.readAllBytes(out);
        // Would crash at once if the stage ran again.
        Captured again = kun(args(out, "--batch", "1", "--crash-after", "0"));
        assertEquals(0, again.code());
        assertTrue(again.stderr().contains("is already complete"), again.stderr());
        assertArrayEquals(before, Files.readAllBytes(out));
        Captured forced = kun(args(out, "--batch", "1", "--force"));
        assertEquals(0, forced.code(), forced.stderr());
        assertArrayEquals(before, Files.readAllBytes(out));
    }

    @Test
    void crashBetweenMarkingCompleteAndRenamingIsFinishedByTheRerun() throws IOException {
        Path out = reference("out.jsonl.gz", "1");
        byte[] output = Files.readAllBytes(out);
        byte[] rejects = Files.readAllBytes(out.resolveSibling("rejects.jsonl.gz"));
        // The state a kill leaves between the complete checkpoint and the two renames.
        Files.move(out, out.resolveSibling("out.jsonl.gz.part"));
        Files.move(out.resolveSibling("rejects.jsonl.gz"), out.resolveSibling("rejects.jsonl.gz.part"));
        Captured c = kun(args(out, "--batch", "1", "--crash-after", "0"));
        assertEquals(0, c.code(), c.stderr());
        assertTrue(c.stderr().contains("is already complete"), c.stderr());
        assertArrayEquals(output, Files.readAllBytes(out));
        assertArrayEquals(rejects, Files.readAllBytes(out.resolveSibling("rejects.jsonl.gz")));
        assertFalse(Files.exists(out.resolveSibling("out.jsonl.gz.part")));
    }

    @Test
    void symlinkedOutputsAreWrittenThroughTheirLinksWhichStay() throws IOException {
        Path expected = reference("out.jsonl.gz", "4");
        Path links = Files.createDirectories(dir.resolve("links"));
        Path real = Files.createDirectories(dir.resolve("real"));
        Path out = links.resolve("out.jsonl.gz");
        // Dangling links, relative and absolute, as `ln -s` makes them before a job; stats links to an old file.
        Files.createSymbolicLink(out, Path.of("../real/out.jsonl.gz"));
        Files.createSymbolicLink(links.resolve("rejects.jsonl.gz"), real.resolve("rejects.jsonl.gz"));
        Files.writeString(real.resolve("stats.json"), "{}\n");
        Files.createSymbolicLink(links.resolve("stats.json"), Path.of("../real/stats.json"));
        String[] names = {"out.jsonl.gz", "rejects.jsonl.gz", "stats.json"};

        // --force: the old stats file is not kun's, so only --force may replace it (through its link).
        assertThrows(SimulatedCrash.class, () -> kun(args(out, "--batch", "4", "--crash-after", "133", "--force")));
        // The side files sit beside the targets, so the final renames stay within one directory.
        assertTrue(Files.exists(real.resolve("out.jsonl.gz.part")));
        assertTrue(Files.exists(real.resolve("out.jsonl.gz.checkpoint")));
        assertTrue(Files.exists(real.resolve("rejects.jsonl.gz.part")));
        try (var inLinks = Files.list(links)) {
            assertEquals(3, inLinks.count(), "only the three links in " + links);
        }
        Captured c = kun(args(out, "--batch", "4"));
        assertEquals(0, c.code(), c.stderr());
        for (String name : names) {
            assertTrue(Files.isSymbolicLink(links.resolve(name)), name + " is no longer a link");
            assertTrue(Files.isRegularFile(real.resolve(name), java.nio.file.LinkOption.NOFOLLOW_LINKS), name);
        }
        assertSameRun(expected, real.resolve("out.jsonl.gz"));

        Captured again = kun(args(out, "--batch", "4", "--crash-after", "0"));
        assertEquals(0, again.code(), again.stderr());
        assertTrue(again.stderr().contains("is already complete"), again.stderr());
        Captured forced = kun(args(out, "--batch", "4", "--force"));
        assertEquals(0, forced.code(), forced.stderr());
        for (String name : names) assertTrue(Files.isSymbolicLink(links.resolve(name)), name + " after --force");
        assertSameRun(expected, real.resolve("out.jsonl.gz"));
    }

    @Test
    void aSymlinkLoopAsOutputIsAUsageError() throws IOException {
        Path a = dir.resolve("a.jsonl");
        Path b = dir.resolve("b.jsonl");
        Files.createSymbolicLink(a, b);
        Files.createSymbolicLink(b, a);
        Captured c = kun(List.of("test-stage", "-i", inputs.resolve("a.jsonl").toString(), "-o", a.toString(),
                "--on-error", "skip"));
        assertEquals(2, c.code(), c.stderr());
        assertEquals("kun: " + a + ": too many levels of symbolic links\n", c.stderr());
        assertTrue(Files.isSymbolicLink(a) && Files.isSymbolicLink(b));
    }

    @Test
    void checkpointFromDifferentArgumentsIsRefused() throws IOException {
        Path out = dir.resolve("fp").resolve("out.jsonl");
        Files.createDirectories(out.getParent());
        assertThrows(SimulatedCrash.class, () -> kun(args(out, "--crash-after", "30")));
        Captured other = kun(args(out, "--settings", "other"));
        assertEquals(2, other.code());
        assertEquals("kun: " + out + ".checkpoint was written by a run with different stage settings;"
                + " rerun with the same arguments to resume, or with --force to start over\n", other.stderr());
        Files.writeString(inputs.resolve("d.jsonl"), "{\"text\":\"new file\"}\n");
        Captured moreInput = kun(args(out));
        assertEquals(2, moreInput.code());
        assertTrue(moreInput.stderr().contains("different inputs"), moreInput.stderr());
        Captured forced = kun(args(out, "--force"));
        assertEquals(0, forced.code(), forced.stderr());
    }

    @Test
    void finishedOutputWithoutCheckpointIsNotOverwritten() throws IOException {
        Path out = dir.resolve("mine.jsonl");
        Files.writeString(out, "precious\n");
        Captured c = kun(args(out));
        assertEquals(2, c.code());
        assertTrue(c.stderr().contains("exists and has no checkpoint"), c.stderr());
        assertEquals("precious\n", Files.readString(out));
    }

    @Test
    void anInputIsNeverTheOutput() throws IOException {
        Path in = inputs.resolve("a.jsonl");
        byte[] before = Files.readAllBytes(in);
        Captured c = kun(List.of("test-stage", "-i", in.toString(), "-o", in.toString(), "--force"));
        assertEquals(2, c.code());
        assertEquals("kun: " + in + " is also an input; write the output somewhere else\n", c.stderr());
        assertArrayEquals(before, Files.readAllBytes(in));
    }

    @Test
    void anOutputWrittenIntoAnInputDirectoryIsNotReadAsInputByTheRerun() throws IOException {
        List<String> command = List.of("test-stage", "-i", inputs.toString(), "-o", inputs.resolve("new.jsonl").toString(),
                "--rejects", inputs.resolve("rejects.jsonl").toString(), "--stats", inputs.resolve("stats.json").toString(),
                "--on-error", "skip");
        Captured first = kun(command);
        assertEquals(0, first.code(), first.stderr());
        byte[] output = Files.readAllBytes(inputs.resolve("new.jsonl"));
        Captured again = kun(command);
        assertEquals(0, again.code(), again.stderr());
        assertTrue(again.stderr().contains("is already complete"), again.stderr());
        assertArrayEquals(output, Files.readAllBytes(inputs.resolve("new.jsonl")));
        // Named as an input itself, it is still refused.
        Captured named = kun(List.of("test-stage", "-i", inputs.resolve("new.jsonl").toString(), "-o", inputs.resolve("new.jsonl").toString()));
        assertEquals(2, named.code(), named.stderr());
        assertTrue(named.stderr().contains("is also an input"), named.stderr());
    }

    @Test
    void stdinInputIsNotResumableAndReplacesTheOutput() throws IOException {
        Path out = dir.resolve("from-stdin.jsonl");
        for (String text : new String[] {"one", "two"}) {
            byte[] stdin = ("{\"text\":\"" + text + "\"}\n").getBytes(StandardCharsets.UTF_8);
            Captured c = Captured.run(stdin, () -> TestStageCommand.kun("test-stage", "-o", out.toString()));
            assertEquals(0, c.code(), c.stderr());
            assertEquals("{\"text\":\"" + text + "\"}\n", Files.readString(out));
        }
    }

    @Test
    void stdinInputNeverOverwritesAFileKunDidNotWrite() throws IOException {
        Path out = dir.resolve("precious.jsonl");
        Files.writeString(out, "not kun's\n");
        byte[] stdin = "{\"text\":\"one\"}\n".getBytes(StandardCharsets.UTF_8);
        Captured c = Captured.run(stdin, () -> TestStageCommand.kun("test-stage", "-o", out.toString()));
        assertEquals(2, c.code(), c.stderr());
        assertTrue(c.stderr().contains("exists and has no checkpoint"), c.stderr());
        assertEquals("not kun's\n", Files.readString(out));
        Captured forced = Captured.run(stdin, () -> TestStageCommand.kun("test-stage", "-o", out.toString(), "--force"));
        assertEquals(0, forced.code(), forced.stderr());
        assertEquals("{\"text\":\"one\"}\n", Files.readString(out));
    }

    @Test
    void aStdinRunsOutputIsNotTakenForAFileInputRunsFinishedOutput() throws IOException {
        Path in = inputs.resolve("a.jsonl");
        Path out = dir.resolve("mixed.jsonl");
        byte[] stdin = "{\"text\":\"from stdin\"}\n".getBytes(StandardCharsets.UTF_8);
        assertEquals(0, Captured.run(stdin, () -> TestStageCommand.kun("test-stage", "-o", out.toString())).code());
        Captured c = Captured.run(new byte[0], () -> TestStageCommand.kun("test-stage", "-i", in.toString(), "-o", out.toString()));
        assertEquals(2, c.code(), c.stderr());
        assertEquals("{\"text\":\"from stdin\"}\n", Files.readString(out));
    }

    @Test
    void killMinusNineAtRandomMomentsThenRerunIsByteIdentical() throws Exception {
        Path expected = reference("out.jsonl.gz", "3");
        Path out = dir.resolve("killed").resolve("out.jsonl.gz");
        Files.createDirectories(out.getParent());
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Xshare:auto", "-XX:TieredStopAtLevel=1",
                TestStageCommand.class.getName()));
        command.addAll(args(out, "--batch", "3", "--sleep-millis", "8"));
        Random random = new Random(42);
        Path checkpoint = out.resolveSibling("out.jsonl.gz.checkpoint");
        long killedAfter = -1;
        for (int attempt = 0; attempt < 3; attempt++) {
            Process p = new ProcessBuilder(command)
                    .redirectError(dir.resolve("child-" + attempt + ".err").toFile())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            // Kill only once this run has committed something new, then at a random moment after.
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (p.isAlive() && consumed(checkpoint) <= killedAfter && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            if (p.waitFor(random.nextInt(150), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                assertEquals(0, p.exitValue(), Files.readString(dir.resolve("child-" + attempt + ".err")));
                break;
            }
            p.destroyForcibly(); // SIGKILL on Linux
            p.waitFor();
            assertEquals(137, p.exitValue(), "killed by SIGKILL");
            assertTrue(consumed(checkpoint) > killedAfter, "each killed run committed progress");
            killedAfter = consumed(checkpoint);
        }
        assertTrue(killedAfter > 0, "killed at least once mid-run");
        Captured last = kun(args(out, "--batch", "3"));
        assertEquals(0, last.code(), last.stderr());
        assertSameRun(expected, out);
    }
}
