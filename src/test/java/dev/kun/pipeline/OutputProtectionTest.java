package dev.kun.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.testing.Captured;
import dev.kun.testing.TestStageCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** -o, --rejects and --stats get the same protection: a file kun did not write is replaced only with --force. */
class OutputProtectionTest {
    @TempDir Path dir;
    Path input;

    @BeforeEach
    void corpus() throws IOException {
        input = Files.writeString(dir.resolve("in.jsonl"), "{\"text\":\"a\"}\n{\"no_text\":1}\n{\"text\":\"b\"}\n");
    }

    private static Captured kun(byte[] stdin, List<String> args) {
        return Captured.run(stdin, () -> TestStageCommand.kun(args.toArray(String[]::new)));
    }

    private List<String> args(Path out, Path rejects, Path stats, String... extra) {
        List<String> a = new ArrayList<>(List.of("test-stage", "-i", input.toString(), "--on-error", "skip"));
        if (out != null) a.addAll(List.of("-o", out.toString()));
        if (rejects != null) a.addAll(List.of("--rejects", rejects.toString()));
        if (stats != null) a.addAll(List.of("--stats", stats.toString()));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void rejectsAndStatsThatKunDidNotWriteNeedForce() throws IOException {
        for (boolean toStdout : new boolean[] {false, true}) {
            for (String which : new String[] {"rejects", "stats"}) {
                Path sub = Files.createDirectories(dir.resolve(which + (toStdout ? "-stdout" : "-file")));
                Path precious = Files.writeString(sub.resolve(which + ".json"), "my notes, not kun's\n");
                Path out = toStdout ? null : sub.resolve("out.jsonl");
                Path rejects = which.equals("rejects") ? precious : sub.resolve("r.jsonl");
                Path stats = which.equals("stats") ? precious : sub.resolve("s.json");
                Captured refused = kun(new byte[0], args(out, rejects, stats));
                assertEquals(2, refused.code(), refused.stderr());
                assertEquals("kun: " + precious + " exists and is not a " + which + " file kun wrote, so it may be"
                        + " something else's; rerun with --force to overwrite it\n", refused.stderr());
                assertEquals("my notes, not kun's\n", Files.readString(precious));
                assertFalse(out != null && Files.exists(out), "nothing written");

                Captured forced = kun(new byte[0], args(out, rejects, stats, "--force"));
                assertEquals(0, forced.code(), forced.stderr());
                String now = Files.readString(precious);
                assertTrue(now.contains(which.equals("stats") ? "\"total\" : 3" : "\"reason\":\"missing_field\""), now);
            }
        }
    }

    @Test
    void kunsOwnRejectsAndStatsAreReplacedAsBefore() throws IOException {
        Path rejects = dir.resolve("r.jsonl.gz");
        Path stats = dir.resolve("s.json");
        // Another output's run wrote them; a run for a new output, and a run to stdout, may replace them.
        for (Path out : new Path[] {dir.resolve("one.jsonl"), dir.resolve("two.jsonl"), null}) {
            Captured c = kun(new byte[0], args(out, rejects, stats));
            assertEquals(0, c.code(), c.stderr());
        }
        // Empty files hold nothing to lose.
        Files.write(dir.resolve("empty.json"), new byte[0]);
        Captured c = kun(new byte[0], args(dir.resolve("three.jsonl"), null, dir.resolve("empty.json")));
        assertEquals(0, c.code(), c.stderr());
        assertTrue(Files.readString(dir.resolve("empty.json")).contains("\"stage\" : \"identity\""));
    }

    @Test
    void aStdinRunReplacesOnlyTheRejectsAndStatsItsCheckpointNames() throws IOException {
        Path out = dir.resolve("from-stdin.jsonl");
        byte[] stdin = "{\"text\":\"one\"}\n".getBytes(StandardCharsets.UTF_8);
        Path stats = dir.resolve("stdin-stats.json");
        List<String> command = List.of("test-stage", "-o", out.toString(), "--stats", stats.toString());
        assertEquals(0, kun(stdin, command).code());
        assertEquals(0, kun(stdin, command).code(), "its own stats, named by its checkpoint");
        Path mine = Files.writeString(dir.resolve("mine.json"), "{\"a\":1}\n");
        Captured other = kun(stdin, List.of("test-stage", "-o", out.toString(), "--stats", mine.toString()));
        assertEquals(2, other.code(), other.stderr());
        assertEquals("{\"a\":1}\n", Files.readString(mine));
    }
}
