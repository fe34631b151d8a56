package dev.kun.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import dev.kun.testing.TestStageCommand;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of bad input, both as a one-line exit 3 and as a reject under --on-error skip. */
class BadInputTest {
    @TempDir Path dir;

    private static final String GOOD = "{\"text\":\"good\"}\n";

    private Path file(String name, byte[] middle) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream o = Files.newOutputStream(p)) {
            o.write(GOOD.getBytes(StandardCharsets.UTF_8));
            o.write(middle);
            o.write(GOOD.getBytes(StandardCharsets.UTF_8));
        }
        return p;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Captured kun(String... args) {
        return Captured.run(new byte[0], () -> TestStageCommand.kun(args));
    }

    /** Runs the bad file in both modes; returns the reject written under skip. */
    private JsonNode check(Path input, String reason, String expectedError) throws IOException {
        Path out = dir.resolve("out-" + reason + ".jsonl");
        Captured fail = kun("test-stage", "-i", input.toString(), "-o", out.toString());
        assertEquals(3, fail.code(), fail.stderr());
        assertEquals("kun: " + expectedError + "\n", fail.stderr());

        Path rejects = dir.resolve("rejects-" + reason + ".jsonl");
        Path stats = dir.resolve("stats-" + reason + ".json");
        Captured skip = kun("test-stage", "-i", input.toString(), "-o", out.toString(), "--force",
                "--on-error", "skip", "--rejects", rejects.toString(), "--stats", stats.toString());
        assertEquals(0, skip.code(), skip.stderr());
        assertFalse(skip.stderr().contains("\tat "), skip.stderr());
        List<String> rejected = Files.readAllLines(rejects);
        assertEquals(1, rejected.size(), rejected.toString());
        JsonNode reject = Json.MAPPER.readTree(rejected.get(0));
        assertEquals(reason, reject.get("reason").asText());
        assertEquals("identity", reject.get("stage").asText());
        JsonNode s = Json.MAPPER.readTree(stats.toFile());
        assertEquals(1, s.get("bad_input_" + reason).asLong());
        assertEquals(s.get("total").asLong(), s.get("kept").asLong() + 1);
        assertEquals(s.get("kept").asLong(), Files.readAllLines(out).size());
        return reject;
    }

    @Test
    void malformedJson() throws IOException {
        Path p = file("m.jsonl", utf8("{\"text\": \"unterminated}\n"));
        JsonNode reject = check(p, "malformed_json", p + ":2: malformed JSON: Unexpected end-of-input in VALUE_STRING");
        assertEquals(p + ":2", reject.get("source").asText());
        assertEquals("{\"text\": \"unterminated}", reject.get("raw").asText());
    }

    @Test
    void notAnObject() throws IOException {
        Path p = file("n.jsonl", utf8("[\"text\"]\n"));
        check(p, "not_an_object", p + ":2: expected a JSON object, found array");
    }

    @Test
    void missingTextFieldReportedByTheStage() throws IOException {
        Path p = file("f.jsonl", utf8("{\"output\":\"no text here\",\"id\":\"x7\"}\n"));
        JsonNode reject = check(p, "missing_field", p + ":2: no text field");
        assertEquals("x7", reject.get("id").asText(), "the record itself is in the reject");
    }

    @Test
    void invalidUtf8() throws IOException {
        Path p = file("u.jsonl", new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', 'a', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"', '}', '\n'});
        check(p, "invalid_utf8", p + ":2: invalid UTF-8 at byte 11 of the line");
    }

    @Test
    void hundredMegabyteLineIsSkippedWithoutHoldingIt() throws IOException {
        Path p = dir.resolve("long.jsonl");
        try (OutputStream o = Files.newOutputStream(p)) {
            o.write(utf8(GOOD));
            o.write(utf8("{\"text\":\""));
            byte[] chunk = new byte[1 << 20];
            java.util.Arrays.fill(chunk, (byte) 'x');
            for (int i = 0; i < 100; i++) o.write(chunk);
            o.write(utf8("\"}\n"));
            o.write(utf8(GOOD));
        }
        check(p, "line_too_long", p + ":2: line longer than --max-line-bytes (16777216 bytes)");
    }

    @Test
    void emptyFile() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.jsonl"));
        Path good = Files.writeString(dir.resolve("good.jsonl"), GOOD);
        Path out = dir.resolve("o.jsonl");
        Captured fail = kun("test-stage", "-i", good.toString(), "-i", empty.toString(), "-o", out.toString());
        assertEquals(3, fail.code());
        assertEquals("kun: " + empty + ": empty file (no records)\n", fail.stderr());
        Captured skip = kun("test-stage", "-i", good.toString(), "-i", empty.toString(), "-o", out.toString(),
                "--on-error=skip", "--rejects", dir.resolve("r.jsonl").toString());
        assertEquals(0, skip.code(), skip.stderr());
        assertTrue(Files.readString(dir.resolve("r.jsonl")).contains("\"reason\":\"empty_file\""));
    }

    @Test
    void unreadablePath() throws IOException {
        Path missing = dir.resolve("missing.jsonl");
        Path good = Files.writeString(dir.resolve("good.jsonl"), GOOD);
        Captured fail = kun("test-stage", "-i", missing.toString(), "-i", good.toString());
        assertEquals(3, fail.code());
        assertEquals("kun: " + missing + ": cannot read: no such file or directory\n", fail.stderr());
        assertEquals("", fail.out(), "nothing on stdout before the error");
        Captured skip = kun("test-stage", "-i", missing.toString(), "-i", good.toString(), "--on-error", "skip");
        assertEquals(0, skip.code());
        assertEquals(GOOD, skip.out());
        assertTrue(skip.stderr().contains("1 bad input (unreadable_file 1)"), skip.stderr());
    }

    @Test
    void loneSurrogateEscapeIsInvalidUnicodeWhilePairsAreWrittenAsIs() throws IOException {
        Path p = file("s.jsonl", utf8("{\"text\":\"a\\ud800b\"}\n"));
        check(p, "invalid_unicode", p + ":2: field 'text' holds a lone surrogate (not valid Unicode)");
        Path pair = Files.writeString(dir.resolve("pair.jsonl"), "{\"text\":\"\\ud83d\\ude00 \\u4e2d\"}\n");
        Captured c = kun("test-stage", "-i", pair.toString());
        assertEquals(0, c.code(), c.stderr());
        assertEquals("{\"text\":\"😀 中\"}\n", c.out());
    }

    @Test
    void aLoneSurrogateRejectKeepsTheWholeRecordInRaw() throws IOException {
        String line = "{\"id\":\"x9\",\"text\":\"a\\ud800b 中\",\"n\":[1,2.50],\"k\\udc00\":null}";
        Path p = file("lone.jsonl", utf8(line + "\n"));
        JsonNode reject = check(p, "invalid_unicode", p + ":2: field 'text' holds a lone surrogate (not valid Unicode)");
        assertEquals(p + ":2", reject.get("source").asText());
        assertEquals("field 'text' holds a lone surrogate (not valid Unicode)", reject.get("error").asText());
        // raw is valid Unicode (written as UTF-8 like everything else) and reads back as the very record.
        String raw = reject.get("raw").asText();
        assertTrue(Json.isValidUtf16(raw), raw);
        assertEquals(Json.MAPPER.readTree(line), Json.MAPPER.readTree(raw));
        assertEquals("{\"id\":\"x9\",\"text\":\"a\\ud800b 中\",\"n\":[1,2.50],\"k\\udc00\":null}", raw);
    }

    @Test
    void failModeNamesTheFirstBadLineEvenWhenALaterOneIsFoundFirst() throws IOException {
        // Line 2 lacks the field the stage needs (found when the batch is processed); line 3 is not JSON
        // (found while the batch is read, before line 2 is looked at).
        Path p = file("order.jsonl", utf8("{\"no_text\":1}\n{broken\n"));
        Captured c = kun("test-stage", "--stage", "dedup", "--batch", "4", "-i", p.toString(), "-o", dir.resolve("o.jsonl").toString());
        assertEquals(3, c.code(), c.stderr());
        assertEquals("kun: " + p + ":2: no text field\n", c.stderr());
    }

    @Test
    void blankLinesAreSkippedSilently() throws IOException {
        Path p = file("b.jsonl", utf8("\n   \r\n\t\n"));
        Captured c = kun("test-stage", "-i", p.toString());
        assertEquals(0, c.code());
        assertEquals(GOOD + GOOD, c.out());
        assertTrue(c.stderr().contains("identity: 2 records"), c.stderr());
    }

    @Test
    void everyBadKindInOneRunEndsInRejectsInInputOrder() throws IOException {
        List<byte[]> lines = new ArrayList<>();
        lines.add(utf8("{\"text\":1"));
        lines.add(utf8("\"just a string\""));
        lines.add(utf8("{\"no\":\"text\"}"));
        lines.add(new byte[] {'{', (byte) 0xff, '}'});
        lines.add(utf8("{\"text\":\"ok 2\"}"));
        Path p = dir.resolve("all.jsonl");
        try (OutputStream o = Files.newOutputStream(p)) {
            for (byte[] l : lines) {
                o.write(l);
                o.write('\n');
            }
        }
        Path rejects = dir.resolve("all-rejects.jsonl");
        Captured c = kun("test-stage", "-i", p.toString(), "--on-error", "skip", "--rejects", rejects.toString());
        assertEquals(0, c.code());
        assertEquals("{\"text\":\"ok 2\"}\n", c.out());
        List<String> reasons = new ArrayList<>();
        for (String l : Files.readAllLines(rejects)) reasons.add(Json.MAPPER.readTree(l).get("reason").asText() + "@" + Json.MAPPER.readTree(l).get("source").asText().replace(p.toString(), ""));
        assertEquals(List.of("malformed_json@:1", "not_an_object@:2", "missing_field@:3", "invalid_utf8@:4"), reasons);
    }
}
