package dev.kun.pipeline.fault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.error.ExitCodes;
import dev.kun.testing.Captured;
import dev.kun.testing.TestStageCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outputs on a small tmpfs that fills up, or that is read-only: the run stops with exit 5 naming the
 * file, keeps its last checkpoint, and once there is room (or write access) the same command resumes to
 * the output of a run that never stopped. Needs root and mount (a container may refuse it): skipped
 * otherwise.
 */
class FullDiskTest {
    @TempDir Path dir;
    Path input;
    Path small;

    @BeforeEach
    void corpus() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 12_000; i++) {
            b.append("{\"id\":\"r").append(i).append("\",\"text\":\"").append("字".repeat(30)).append(' ').append(i).append("\"}\n");
        }
        input = Files.writeString(dir.resolve("in.jsonl"), b); // ~1.5 MB, more than the tmpfs holds
        small = Files.createDirectories(dir.resolve("small"));
    }

    private static boolean sh(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    private void mountSmall(String options) throws IOException, InterruptedException {
        boolean root = "root".equals(System.getProperty("user.name"));
        Assumptions.assumeTrue(root && sh("mount", "-t", "tmpfs", "-o", options, "kun-test", small.toString()),
                "needs root and mount -t tmpfs");
    }

    private void unmount() throws IOException, InterruptedException {
        sh("umount", "-l", small.toString());
    }

    private List<String> args(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("test-stage", "--stage", "passthrough", "-i", input.toString(), "-o", out.toString(),
                "--rejects", out.resolveSibling("rejects.jsonl").toString(), "--stats", out.resolveSibling("stats.json").toString(),
                "--checkpoint-every", "1000"));
        a.addAll(List.of(extra));
        return a;
    }

    private static Captured kun(List<String> args) {
        return Captured.run(new byte[0], () -> TestStageCommand.kun(args.toArray(String[]::new)));
    }

    private byte[] reference() throws IOException {
        Path out = Files.createDirectories(dir.resolve("reference")).resolve("out.jsonl");
        Captured c = kun(args(out));
        assertEquals(0, c.code(), c.stderr());
        return Files.readAllBytes(out);
    }

    @Test
    void aFullDiskIsExitFiveNamingTheFileAndTheSameCommandResumesOnceThereIsRoom() throws Exception {
        byte[] expected = reference();
        mountSmall("size=1m");
        try {
            Path out = small.resolve("out.jsonl");
            Captured full = kun(args(out));
            assertEquals(ExitCodes.ENVIRONMENT, full.code(), full.stderr());
            assertTrue(full.stderr().matches("kun: " + java.util.regex.Pattern.quote(small.toString())
                    + "/\\S+: No space left on device; fix that and rerun the same command: it resumes from the last checkpoint\n"),
                    full.stderr());
            assertFalse(Files.exists(out), "no finished output from a run that failed");
            String checkpoint = Files.readString(out.resolveSibling("out.jsonl.checkpoint"));
            assertTrue(checkpoint.contains("\"complete\" : false"), checkpoint);

            assertTrue(sh("mount", "-o", "remount,size=16m", small.toString()), "remount bigger");
            Captured again = kun(args(out));
            assertEquals(0, again.code(), again.stderr());
            assertTrue(again.stderr().contains("12000 records"), again.stderr());
            assertArrayEquals(expected, Files.readAllBytes(out));
        } finally {
            unmount();
        }
    }

    @Test
    void aReadOnlyOutputIsExitFiveAndLeavesTheResumableStateAsItWas() throws Exception {
        byte[] expected = reference();
        mountSmall("size=16m");
        try {
            Path out = small.resolve("out.jsonl");
            Captured crashed = null;
            try {
                crashed = kun(args(out, "--crash-after", "4321"));
            } catch (Error simulatedCrash) {
                // the run stops as a kill would stop it
            }
            assertEquals(null, crashed);
            byte[] checkpoint = Files.readAllBytes(out.resolveSibling("out.jsonl.checkpoint"));
            byte[] part = Files.readAllBytes(out.resolveSibling("out.jsonl.part"));

            assertTrue(sh("mount", "-o", "remount,ro", small.toString()), "remount read-only");
            for (String force : new String[] {"--progress=never", "--force"}) {
                Captured ro = kun(args(out, force));
                assertEquals(ExitCodes.ENVIRONMENT, ro.code(), ro.stderr());
                assertTrue(ro.stderr().startsWith("kun: " + small + "/") && ro.stderr().contains(": Read-only file system"),
                        ro.stderr());
                assertEquals(1, ro.stderr().lines().count(), ro.stderr());
            }
            assertArrayEquals(checkpoint, Files.readAllBytes(out.resolveSibling("out.jsonl.checkpoint")));
            assertArrayEquals(part, Files.readAllBytes(out.resolveSibling("out.jsonl.part")));

            assertTrue(sh("mount", "-o", "remount,rw", small.toString()), "remount writable");
            Captured resumed = kun(args(out));
            assertEquals(0, resumed.code(), resumed.stderr());
            assertTrue(resumed.stderr().contains("12000 records"), resumed.stderr());
            assertArrayEquals(expected, Files.readAllBytes(out));
        } finally {
            unmount();
        }
    }
}
