package dev.kun.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.testing.Captured;
import dev.kun.testing.TestStageCommand;
import dev.kun.testing.TestStages.SimulatedCrash;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint changed by hand, damaged so that it still parses, or out of step with the files is
 * refused with exit 2 and a hint, never resumed into wrong output. Edits are made twice: as they are
 * (the checksum catches them) and signed again with a correct checksum (the values are checked).
 */
class CheckpointTamperTest {
    @TempDir Path dir;
    Path input;
    Path out;
    Path checkpoint;

    @BeforeEach
    void crashedRun() throws IOException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 100; i++) b.append("{\"text\":\"t").append(i % 60).append("\"}\n");
        input = Files.writeString(dir.resolve("in.jsonl"), b);
        out = dir.resolve("out.jsonl");
        checkpoint = dir.resolve("out.jsonl.checkpoint");
        assertThrows(SimulatedCrash.class, () -> kun(args("--crash-after", "30")));
        assertTrue(Files.exists(checkpoint));
    }

    private List<String> args(String... extra) {
        List<String> a = new ArrayList<>(List.of("test-stage", "--stage", "dedup", "-i", input.toString(), "-o", out.toString(),
                "--rejects", dir.resolve("rejects.jsonl").toString(), "--checkpoint-every", "7"));
        a.addAll(List.of(extra));
        return a;
    }

    private static Captured kun(List<String> args) {
        return Captured.run(new byte[0], () -> TestStageCommand.kun(args.toArray(String[]::new)));
    }

    /** {@code edit} applied to the checkpoint's text; with {@code resign}, its checksum made right again. */
    private void tamper(UnaryOperator<String> edit, boolean resign) throws IOException {
        String before = Files.readString(checkpoint);
        String after = edit.apply(before);
        assertTrue(!after.equals(before), "the edit changed nothing:\n" + before);
        String open = "{\n  \"checksum\" : \"crc32c:";
        if (resign && after.startsWith(open)) {
            String body = "{" + after.substring(open.length() + 8 + 2);
            CRC32C crc = new CRC32C();
            crc.update(body.getBytes(StandardCharsets.UTF_8));
            after = open + String.format("%08x", crc.getValue()) + "\"," + body.substring(1);
        }
        Files.writeString(checkpoint, after);
    }

    private static UnaryOperator<String> field(String name, String value) {
        return text -> {
            Matcher m = Pattern.compile("(\"" + name + "\" : )([^,\\n]+)").matcher(text);
            assertTrue(m.find(), name + " in\n" + text);
            return text.substring(0, m.start(2)) + value + text.substring(m.end(2));
        };
    }

    private void assertRefused(String expectedWhy) {
        byte[] part = readPart();
        Captured c = kun(args());
        assertEquals(2, c.code(), c.stderr());
        assertTrue(c.stderr().startsWith("kun: " + checkpoint + ": damaged checkpoint: "), c.stderr());
        assertTrue(c.stderr().contains(expectedWhy), c.stderr());
        assertTrue(c.stderr().endsWith("; rerun with --force to start over\n"), c.stderr());
        assertEquals(1, c.stderr().lines().count(), c.stderr());
        assertArrayEquals(part, readPart(), "a refused run leaves the files as they were");
    }

    private byte[] readPart() {
        try {
            return Files.readAllBytes(dir.resolve("out.jsonl.part"));
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void anEditByHandIsCaughtByTheChecksum() throws IOException {
        tamper(field("consumed", "21"), false);
        assertRefused("its checksum does not match its content");
    }

    @Test
    void aNegativeByteCountIsExitTwoWithAHintNotAnInternalError() throws IOException {
        tamper(field("output_bytes", "-5"), true);
        assertRefused("'output_bytes' is negative (-5)");
    }

    @Test
    void valuesThatDoNotFitTheFilesAreRefusedEvenWithAGoodChecksum() throws IOException {
        String original = Files.readString(checkpoint);
        String[][] cases = {
            {"file", "99", "past the 1 input files"},
            {"offset", "999999", "past the end of"},
            {"consumed", "22", "its counters do not add up"},
            {"rejects_bytes", "\"many\"", "'rejects_bytes' is missing or not a whole number"},
            {"complete", "1", "'complete' is not true or false"},
        };
        for (String[] c : cases) {
            Files.writeString(checkpoint, original);
            tamper(field(c[0], c[1]), true);
            assertRefused(c[2]);
        }
        // Counters that add up but a record count between checkpoints: no run of --checkpoint-every 7 wrote that.
        Files.writeString(checkpoint, original);
        tamper(text -> field("total", "22").apply(field("kept", String.valueOf(22 - longOf(text, "dropped") - longOf(text, "bad_input")))
                .apply(field("consumed", "22").apply(text))), true);
        assertRefused("not a multiple of --checkpoint-every 7");

        Files.writeString(checkpoint, original);
        Captured forced = kun(args("--force"));
        assertEquals(0, forced.code(), forced.stderr());
        assertTrue(forced.stderr().contains("dedup: 100 records"), forced.stderr());
    }

    private static long longOf(String text, String name) {
        Matcher m = Pattern.compile("\"" + name + "\" : (\\d+)").matcher(text);
        assertTrue(m.find(), name);
        return Long.parseLong(m.group(1));
    }

    @Test
    void aFinishedOutputChangedAfterwardsIsNotCalledComplete() throws IOException {
        Captured done = kun(args());
        assertEquals(0, done.code(), done.stderr());
        Files.writeString(out, "{\"text\":\"appended by someone\"}\n", java.nio.file.StandardOpenOption.APPEND);
        Captured again = kun(args());
        assertEquals(2, again.code(), again.stderr());
        assertTrue(again.stderr().contains("was changed after kun finished; rerun with --force to redo it"), again.stderr());
    }
}
