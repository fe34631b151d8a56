package dev.kun.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import dev.kun.testing.TestStageCommand;
import dev.kun.testing.TestStages.SimulatedCrash;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner over the real public data in ../shared/data (skipped when that folder is absent). */
class SharedDataTest {
    /** ../shared/data beside the project, or -Dkun.shared.data=DIR (a git worktree elsewhere). */
    static final Path DATA = Paths.get(System.getProperty("kun.shared.data",
            Paths.get("").toAbsolutePath().resolve("../shared/data").normalize().toString()));
    @TempDir Path dir;

    @Test
    void everyRecordPassesThroughUnchangedAndResumesByteIdentical() throws IOException {
        Path seed = DATA.resolve("seed-coig-kun.jsonl");
        Path corpus = DATA.resolve("corpus-cmrc2018.jsonl");
        assumeTrue(Files.isReadable(seed) && Files.isReadable(corpus), "no ../shared/data");

        Path whole = dir.resolve("whole/out.jsonl.gz");
        Captured c = kun(whole);
        assertEquals(0, c.code(), c.stderr());
        // Every input line comes out as the same JSON value, in order (whitespace is normalised).
        try (BufferedReader out = new BufferedReader(new InputStreamReader(new GZIPInputStream(Files.newInputStream(whole)), StandardCharsets.UTF_8))) {
            long n = 0;
            for (Path in : new Path[] {corpus, seed}) {
                for (String line : Files.readAllLines(in)) {
                    JsonNode expected = Json.MAPPER.readTree(line);
                    assertEquals(expected, Json.MAPPER.readTree(out.readLine()), in + " line " + (++n));
                }
            }
            assertEquals(null, out.readLine());
        }

        Path resumed = dir.resolve("resumed/out.jsonl.gz");
        assertThrows(SimulatedCrash.class, () -> kun(resumed, "--crash-after", "2500"));
        assertEquals(0, kun(resumed).code());
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(resumed));
    }

    private Captured kun(Path out, String... extra) {
        String[] args = {"test-stage", "--stage", "passthrough", "-i", DATA.resolve("corpus-cmrc2018.jsonl").toString(),
                "-i", DATA.resolve("seed-coig-kun.jsonl").toString(), "-o", out.toString(), "--checkpoint-every", "500"};
        String[] all = new String[args.length + extra.length];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(extra, 0, all, args.length, extra.length);
        return Captured.run(new byte[0], () -> TestStageCommand.kun(all));
    }
}
