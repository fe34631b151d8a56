package dev.kun.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.Kun;
import dev.kun.error.KunException;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import dev.kun.testing.TestStages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageRunnerTest {
    @TempDir Path dir;

    @Test
    void streamsStdinToStdoutUnchanged() {
        String in = "{\"text\":\"a\",\"x\":1}\n\n{\"text\":\"é😀\",\"y\":[1,2]}\n";
        Captured c = Captured.run(in.getBytes(StandardCharsets.UTF_8),
                () -> new StageRunner(RunConfig.simple(List.of(), null)).run(TestStages.identity()));
        assertEquals(0, c.code());
        assertEquals("{\"text\":\"a\",\"x\":1}\n{\"text\":\"é😀\",\"y\":[1,2]}\n", c.out());
        assertTrue(c.stderr().contains("identity: 2 records, 2 kept, 0 dropped, 0 bad input"), c.stderr());
    }

    @Test
    void writesOutputRejectsAndStatsFiles() throws Exception {
        Path in = dir.resolve("in.jsonl");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 50; i++) b.append("{\"text\":\"t").append(i % 40).append("\"}\n");
        Files.writeString(in, b);
        Path out = dir.resolve("out.jsonl");
        RunConfig config = RunConfig.simple(List.of(in.toString()), out)
                .withRejects(dir.resolve("rej.jsonl")).withStats(dir.resolve("stats.json")).withCheckpointEvery(7);
        Captured c = Captured.run(new byte[0], () -> new StageRunner(config).run(TestStages.dedup(3, Long.MAX_VALUE)));
        assertEquals(0, c.code(), c.stderr());
        assertFalse(Files.exists(dir.resolve("out.jsonl.part")));
        JsonNode stats = Json.MAPPER.readTree(dir.resolve("stats.json").toFile());
        long outLines = Files.readAllLines(out).size();
        long rejLines = Files.readAllLines(dir.resolve("rej.jsonl")).size();
        assertEquals(50, stats.get("total").asLong());
        assertEquals(outLines, stats.get("kept").asLong());
        assertEquals(rejLines, stats.get("dropped").asLong());
        assertEquals(stats.get("dropped").asLong(),
                stats.get("dropped_duplicate").asLong() + stats.get("dropped_third").asLong());
        assertEquals(50, outLines + rejLines);
    }

    /** A stage that reads ahead and logs the runner's calls: "ahead t3 t4", "process t1 t2". */
    private static final class ReadingAhead implements Stage {
        final List<String> calls = new java.util.ArrayList<>();

        @Override
        public String name() {
            return "ahead";
        }

        @Override
        public String fingerprint() {
            return "ahead";
        }

        @Override
        public int batchSize() {
            return 2;
        }

        @Override
        public boolean readsAhead() {
            return true;
        }

        @Override
        public void ahead(List<dev.kun.record.KunRecord> next) {
            calls.add("ahead " + texts(next));
        }

        @Override
        public List<Outcome> process(List<dev.kun.record.KunRecord> batch) {
            calls.add("process " + texts(batch));
            return batch.stream().map(Outcome::kept).toList();
        }

        private static String texts(List<dev.kun.record.KunRecord> batch) {
            return String.join(" ", batch.stream().map(r -> r.string("text")).toList());
        }
    }

    @Test
    void aStageThatReadsAheadGetsEachNextBatchEarlyButNeverAcrossACheckpoint() throws Exception {
        Path in = dir.resolve("in.jsonl");
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= 9; i++) b.append(i == 6 ? "not json\n" : "{\"text\":\"t" + i + "\"}\n");
        Files.writeString(in, b);
        Path out = dir.resolve("out.jsonl");
        ReadingAhead stage = new ReadingAhead();
        RunConfig config = RunConfig.simple(List.of(in.toString()), out).withCheckpointEvery(4).withOnError(OnError.SKIP);
        Captured c = Captured.run(new byte[0], () -> new StageRunner(config).run(stage));
        assertEquals(0, c.code(), c.stderr());
        // Checkpoints after 4 and 8 input items (the bad line counts): no look-ahead across them.
        assertEquals(List.of("ahead t3 t4", "process t1 t2", "process t3 t4", "ahead t7 t8", "process t5",
                "process t7 t8", "process t9"), stage.calls);
        assertEquals(8, Files.readAllLines(out).size());

        // With --on-error fail, the batch holding the bad line is not handed over early: what comes before
        // the bad line is processed on its own (its own bad input would be the first to name), then the run stops.
        ReadingAhead failing = new ReadingAhead();
        Path out2 = dir.resolve("out2.jsonl");
        RunConfig strict = RunConfig.simple(List.of(in.toString()), out2).withCheckpointEvery(4);
        assertThrows(KunException.class, () -> new StageRunner(strict).run(failing));
        assertEquals(List.of("ahead t3 t4", "process t1 t2", "process t3 t4", "process t5"), failing.calls);
    }

    @Test
    void aListenerHearsEveryCheckpointAndStopsTheRunAtABatchBoundaryResumably() throws Exception {
        Path in = dir.resolve("in.jsonl");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 50; i++) b.append("{\"text\":\"t").append(i % 40).append("\"}\n");
        Files.writeString(in, b);
        RunConfig config = RunConfig.simple(List.of(in.toString()), dir.resolve("out.jsonl"))
                .withRejects(dir.resolve("rej.jsonl")).withCheckpointEvery(10);
        List<Long> heard = new java.util.ArrayList<>();
        RunListener stopAfter25 = new RunListener() {
            long asked;

            @Override
            public void committed(StageStats stats) {
                heard.add(stats.total());
            }

            @Override
            public boolean stopRequested() {
                return ++asked > 25; // batches of 1: asked once per record
            }
        };
        KunException stopped = assertThrows(KunException.class, () -> Captured.run(new byte[0],
                () -> new StageRunner(config).listenedBy(stopAfter25).run(TestStages.dedup(1, Long.MAX_VALUE))));
        assertEquals(dev.kun.error.ExitCodes.INTERRUPTED, stopped.exitCode());
        assertEquals(List.of(10L, 20L), heard);
        assertEquals(20, Checkpoint.read(dir.resolve("out.jsonl.checkpoint")).consumed());
        assertFalse(Files.exists(dir.resolve("out.jsonl")));

        heard.clear();
        RunListener hear = new RunListener() {
            @Override
            public void committed(StageStats stats) {
                heard.add(stats.total());
            }
        };
        Captured c = Captured.run(new byte[0], () -> new StageRunner(config).listenedBy(hear).run(TestStages.dedup(1, Long.MAX_VALUE)));
        assertEquals(0, c.code(), c.stderr());
        assertEquals(List.of(30L, 40L, 50L, 50L), heard, "each checkpoint, then the end");

        Path once = dir.resolve("once.jsonl");
        Captured ref = Captured.run(new byte[0], () -> new StageRunner(RunConfig.simple(List.of(in.toString()), once)
                .withRejects(dir.resolve("once-rej.jsonl")).withCheckpointEvery(10)).run(TestStages.dedup(1, Long.MAX_VALUE)));
        assertEquals(0, ref.code(), ref.stderr());
        assertEquals(Files.readString(once), Files.readString(dir.resolve("out.jsonl")));
        assertEquals(Files.readString(dir.resolve("once-rej.jsonl")), Files.readString(dir.resolve("rej.jsonl")));
    }

    @Test
    void aCheckpointThatFailsInTheBackgroundFailsTheRun() throws Exception {
        // The checkpoint is written on another thread while records go on; its failure must not be lost,
        // whether the next checkpoint (50 records) or the end of the run (10 records) is what waits for it.
        for (int records : new int[] {10, 50}) {
            Path in = dir.resolve("in" + records + ".jsonl");
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < records; i++) b.append("{\"text\":\"t").append(i).append("\"}\n");
            Files.writeString(in, b);
            Path out = dir.resolve("out" + records + ".jsonl");
            // A directory where the checkpoint's temporary file goes: every checkpoint write fails.
            Files.createDirectories(dir.resolve("out" + records + ".jsonl.checkpoint.tmp"));
            RunConfig config = RunConfig.simple(List.of(in.toString()), out).withCheckpointEvery(7);
            KunException e = assertThrows(KunException.class, () -> new StageRunner(config).run(TestStages.identity()));
            assertTrue(e.getMessage().contains("checkpoint.tmp"), records + ": " + e.getMessage());
            assertFalse(Files.exists(out), "a failed run leaves no finished output");
            assertFalse(Files.exists(dir.resolve("out" + records + ".jsonl.checkpoint")));
            // The run stopped at the next wait, not at its end: only the first checkpoint's records were flushed.
            assertEquals(7, Files.readAllLines(dir.resolve("out" + records + ".jsonl.part")).size(), "records " + records);
        }
    }

    @Test
    void refusesADirectoryAsOutputEvenWithForceAndLeavesItAlone() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"text\":\"a\"}\n");
        Path full = Files.createDirectories(dir.resolve("full"));
        Files.writeString(full.resolve("keep.txt"), "keep");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        for (String force : new String[] {"--progress=never", "--force"}) {
            for (Path target : List.of(full, empty)) {
                Captured c = Captured.run(new byte[0],
                        () -> Kun.run("seed", "-i", in.toString(), "-o", target.toString(), force));
                assertEquals(2, c.code(), c.stderr());
                assertTrue(c.stderr().contains("is a directory"), c.stderr());
                assertTrue(Files.isDirectory(target), target + " was replaced");
            }
            Captured c = Captured.run(new byte[0], () -> Kun.run("seed", "-i", in.toString(),
                    "-o", dir.resolve("o.jsonl").toString(), "--rejects", full.toString(), force));
            assertEquals(2, c.code(), c.stderr());
        }
        assertEquals("keep", Files.readString(full.resolve("keep.txt")));
    }

    @Test
    void anOutputDirectoryThatCannotBeCreatedIsAUsageErrorNotABug() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"text\":\"a\"}\n");
        Path blocker = dir.resolve("blocker");
        Files.writeString(blocker, "a file where a directory is wanted");
        Captured c = Captured.run(new byte[0], () -> Kun.run("seed", "-i", in.toString(),
                "-o", blocker.resolve("sub").resolve("out.jsonl").toString()));
        assertEquals(2, c.code(), c.stderr());
        assertTrue(c.stderr().startsWith("kun: cannot create the directory of"), c.stderr());
    }

    @Test
    void aReaderThatClosesStdoutEndsTheRunQuietlyNotAsABug() throws Exception {
        Path in = dir.resolve("in.jsonl");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 3000; i++) b.append("{\"text\":\"document ").append(i).append("\"}\n");
        Files.writeString(in, b);
        java.io.PrintStream oldOut = System.out;
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code;
        try {
            // What `kun ... | head` leaves: every write to stdout fails with a broken pipe.
            System.setOut(new java.io.PrintStream(new java.io.OutputStream() {
                @Override
                public void write(int x) throws java.io.IOException {
                    throw new java.io.IOException("Broken pipe");
                }
            }, true));
            System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
            code = Kun.run("seed", "-i", in.toString(), "--dedup", "none", "--checkpoint-every", "100");
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, stderr);
        assertTrue(stderr.contains("stdout was closed by its reader; stopped early"), stderr);
        assertFalse(stderr.contains("I/O error"), stderr);
    }

    @Test
    void aRunStoppedByItsReaderLeavesRejectsAsPartNoStatsAndTheSameCommandStartsOver() throws Exception {
        Path in = dir.resolve("in.jsonl");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 3000; i++) b.append("{\"text\":\"document ").append(i % 1000).append("\"}\n");
        Files.writeString(in, b);
        Path rejects = dir.resolve("dups.jsonl");
        Path stats = dir.resolve("stats.json");
        String[] command = {"seed", "-i", in.toString(), "--dedup", "exact", "--checkpoint-every", "100",
            "--rejects", rejects.toString(), "--stats", stats.toString()};
        java.io.PrintStream oldOut = System.out;
        java.io.PrintStream oldErr = System.err;
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code;
        try {
            // `kun seed ... | head -1`: the reader goes away after the first line.
            System.setOut(new java.io.PrintStream(new java.io.OutputStream() {
                @Override
                public void write(int x) throws java.io.IOException {
                    throw new java.io.IOException("Broken pipe");
                }
            }, true));
            System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
            code = Kun.run(command);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, stderr);
        assertEquals("kun: stdout was closed by its reader; stopped early (rejects so far in " + rejects
                + ".part, no stats; rerun to start over)\n", stderr);
        assertTrue(Files.exists(dir.resolve("dups.jsonl.part")));
        assertFalse(Files.exists(rejects));
        assertFalse(Files.exists(stats));

        Captured again = Captured.run(new byte[0], () -> Kun.run(command));
        assertEquals(0, again.code(), again.stderr());
        assertEquals(1000, again.out().lines().count());
        assertEquals(2000, Files.readAllLines(rejects).size());
        assertTrue(Files.readString(stats).contains("\"total\" : 3000"));
        assertFalse(Files.exists(dir.resolve("dups.jsonl.part")));
    }

    @Test
    void outputRejectsAndStatsMustBeThreeFiles() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"text\":\"a\"}\n{\"text\":\"a\"}\n");
        String one = dir.resolve("one.jsonl").toString();
        String same = dir.resolve(".").resolve("one.jsonl").toString();
        String[][] clashes = {
            {"-o", one, "--rejects", same},
            {"-o", one, "--stats", same},
            {"-o", dir.resolve("o.jsonl").toString(), "--rejects", one, "--stats", one},
        };
        for (String[] clash : clashes) {
            String[] args = new String[clash.length + 3];
            args[0] = "seed";
            args[1] = "-i";
            args[2] = in.toString();
            System.arraycopy(clash, 0, args, 3, clash.length);
            Captured c = Captured.run(new byte[0], () -> Kun.run(args));
            assertEquals(2, c.code(), String.join(" ", args) + "\n" + c.stderr());
            assertTrue(c.stderr().contains("give each its own file"), c.stderr());
            assertFalse(Files.exists(Path.of(one)), "nothing written for " + String.join(" ", args));
        }
        // A link to /dev/null in the temp dir: should it be taken for a file, only the link is at risk.
        Path devNull = Files.createSymbolicLink(dir.resolve("null"), Path.of("/dev/null"));
        Captured c = Captured.run(new byte[0], () -> Kun.run("seed", "-i", in.toString(), "-o", one,
                "--rejects", devNull.toString(), "--stats", devNull.toString()));
        assertEquals(0, c.code(), c.stderr());
        assertTrue(Files.isSymbolicLink(devNull));
        assertEquals(1, Files.readAllLines(Path.of(one)).size());
    }

    @Test
    void namedPipesAsOutputRejectsAndStatsAreWrittenIntoNotReplaced() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"text\":\"a\"}\n{\"text\":\"a\"}\n{\"text\":\"b\"}\n");
        Path[] pipes = {dir.resolve("out.pipe"), dir.resolve("rej.pipe"), dir.resolve("stats.pipe")};
        for (Path pipe : pipes) {
            org.junit.jupiter.api.Assumptions.assumeTrue(
                    new ProcessBuilder("mkfifo", pipe.toString()).start().waitFor() == 0, "mkfifo");
        }
        String[] read = new String[pipes.length];
        Thread[] readers = new Thread[pipes.length];
        for (int k = 0; k < pipes.length; k++) {
            int n = k;
            readers[k] = new Thread(() -> {
                try {
                    read[n] = Files.readString(pipes[n]);
                } catch (java.io.IOException e) {
                    read[n] = e.toString();
                }
            });
            readers[k].setDaemon(true);
            readers[k].start();
        }
        // --force too: it must not delete a device or pipe it was asked to write into.
        Captured c = Captured.run(new byte[0], () -> Kun.run("seed", "-i", in.toString(), "--dedup", "exact",
                "-o", pipes[0].toString(), "--rejects", pipes[1].toString(), "--stats", pipes[2].toString(), "--force"));
        for (Thread t : readers) t.join(10_000);
        assertEquals(0, c.code(), c.stderr());
        for (Path pipe : pipes) {
            assertTrue(Files.exists(pipe) && !Files.isRegularFile(pipe), pipe + " was replaced by a regular file");
            assertFalse(Files.exists(dir.resolve(pipe.getFileName() + ".part")), pipe + ".part");
        }
        assertEquals(2, read[0] == null ? -1 : read[0].lines().count(), "output through the pipe: " + read[0]);
        assertTrue(read[1] != null && read[1].contains("duplicate_exact"), "rejects through the pipe: " + read[1]);
        assertTrue(read[2] != null && read[2].contains("\"total\" : 3"), "stats through the pipe: " + read[2]);
        assertFalse(Files.exists(dir.resolve("out.pipe.checkpoint")));
    }

    @Test
    void aPathKunCannotWriteIsNamedWithItsReasonNotCalledABug() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"text\":\"a\"}\n");
        Path out = dir.resolve("out.jsonl");
        // As root no permission stops kun; a directory where the .part file goes fails the same way.
        Files.createDirectories(dir.resolve("out.jsonl.part"));
        Captured c = Captured.run(new byte[0], () -> Kun.run("seed", "-i", in.toString(), "-o", out.toString()));
        assertEquals(2, c.code(), c.stderr());
        assertTrue(c.stderr().startsWith("kun: " + dir.resolve("out.jsonl.part") + ": "), c.stderr());
        assertFalse(c.stderr().contains("I/O error"), c.stderr());
        assertEquals(1, c.stderr().lines().count(), c.stderr());
    }

    @Test
    void outputDashIsStdoutNotAFileNamedDash() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"id\":\"x\",\"text\":\"a\"}\n");
        boolean dashBefore = Files.exists(Path.of("-"));
        Captured c = Captured.run(new byte[0], () -> Kun.run("seed", "-i", in.toString(), "-o", "-"));
        assertEquals(0, c.code(), c.stderr());
        assertEquals("{\"id\":\"x\",\"text\":\"a\"}\n", c.out());
        if (!dashBefore) assertFalse(Files.exists(Path.of("-")), "a file named - was written");
    }
}
