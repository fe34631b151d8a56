package dev.kun.pipeline.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.record.InputFile;
import dev.kun.record.InputRecord;
import dev.kun.record.Json;
import dev.kun.record.ReadOptions;
import dev.kun.record.RecordReader;
import dev.kun.testing.Captured;
import dev.kun.testing.TestStageCommand;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gzip file cut short at many places: every line decompressible before the cut is read, the cut line
 * goes with the error, and nothing is read twice when a run resumes after it.
 */
class TruncatedGzipTest {
    @TempDir Path dir;

    private static final int RECORDS = 6000;

    private static String corpus() {
        Random random = new Random(3);
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < RECORDS; i++) {
            s.append("{\"id\":\"r").append(i).append("\",\"text\":\"行 ").append(i).append(' ')
                    .append(Long.toHexString(random.nextLong())).append("\"}\n");
        }
        return s.toString();
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(b)) {
            gz.write(bytes);
        }
        return b.toByteArray();
    }

    /** What can be decompressed from {@code gz}: zlib's own output before the cut, read one call at a time. */
    private static byte[] decompressible(byte[] gz) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) out.write(buf, 0, n);
        } catch (IOException cut) {
            // Everything before it is in out.
        }
        return out.toByteArray();
    }

    /** The complete lines of {@code bytes}, and the unterminated rest ("" when none). */
    private static List<String> completeLines(byte[] bytes) {
        String s = new String(bytes, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(Arrays.asList(s.split("\n", -1)));
        lines.remove(lines.size() - 1);
        return lines;
    }

    private static String rest(byte[] bytes) {
        int nl = -1;
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] == '\n') {
                nl = i;
                break;
            }
        }
        return new String(bytes, nl + 1, bytes.length - nl - 1, StandardCharsets.UTF_8);
    }

    @Test
    void everyLineBeforeTheCutIsReadAtManyOffsets() throws IOException {
        byte[] gz = gzip(corpus().getBytes(StandardCharsets.UTF_8));
        assertTrue(gz.length > 40_000, "several 64 KB reads of decompressed lines: " + gz.length);
        List<Integer> cuts = new ArrayList<>(List.of(11, 12, 100, 1000, gz.length - 9, gz.length - 8, gz.length - 1));
        for (int i = 1; i <= 20; i++) cuts.add(gz.length * i / 21);
        for (int cut : cuts) {
            byte[] cutShort = Arrays.copyOf(gz, cut);
            Path p = dir.resolve("cut-" + cut + ".jsonl.gz");
            Files.write(p, cutShort);
            byte[] readable = decompressible(cutShort);
            List<String> expected = completeLines(readable);
            List<InputFile> files = InputFile.resolve(List.of(p.toString()));
            List<String> got = new ArrayList<>();
            List<InputRecord> bad = new ArrayList<>();
            RecordReader.Position afterFailure = null;
            try (RecordReader r = new RecordReader(files, ReadOptions.defaults(), RecordReader.Position.START, true)) {
                InputRecord item;
                while ((item = r.next()) != null) {
                    if (item.isBad()) {
                        bad.add(item);
                        afterFailure = r.position();
                    } else {
                        got.add(item.record().toString());
                    }
                }
            }
            List<String> expectedRecords = new ArrayList<>();
            for (String line : expected) expectedRecords.add(Json.MAPPER.readTree(line).toString());
            assertEquals(expectedRecords.size(), got.size(), "records before the cut at byte " + cut + " of " + gz.length);
            assertTrue(expectedRecords.equals(got), "the very records, in order, cut at byte " + cut);
            assertEquals(1, bad.size(), "cut at " + cut + ": " + bad);
            assertEquals("unreadable_file", bad.get(0).reason());
            assertEquals(expected.size() + 1, bad.get(0).line(), "cut at " + cut);
            String fragment = rest(readable);
            if (fragment.isEmpty()) {
                assertNull(bad.get(0).raw(), "cut at " + cut);
            } else {
                assertEquals(fragment, bad.get(0).raw(), "the cut line goes with the error, cut at " + cut);
            }
            // Resumed right after the failure, the file has nothing more to give: no second error.
            try (RecordReader r = new RecordReader(files, ReadOptions.defaults(), afterFailure)) {
                assertNull(r.next(), "resumed after the failure at cut " + cut);
            }
        }
    }

    @Test
    void aJsonArrayCutShortKeepsTheElementsBeforeTheCut() throws IOException {
        StringBuilder s = new StringBuilder("[\n");
        for (int i = 0; i < 3000; i++) s.append(i == 0 ? "" : ",\n").append("{\"instruction\":\"q").append(i).append("\",\"output\":\"答").append(i).append("\"}");
        byte[] gz = gzip(s.append("\n]\n").toString().getBytes(StandardCharsets.UTF_8));
        int cut = gz.length * 2 / 3;
        Path p = dir.resolve("cut.json.gz");
        Files.write(p, Arrays.copyOf(gz, cut));
        String readable = new String(decompressible(Arrays.copyOf(gz, cut)), StandardCharsets.UTF_8);
        long complete = readable.lines().filter(l -> l.endsWith("},") || l.endsWith("}")).count();
        List<InputRecord> items = new ArrayList<>();
        try (RecordReader r = new RecordReader(InputFile.resolve(List.of(p.toString())), ReadOptions.defaults())) {
            InputRecord item;
            while ((item = r.next()) != null) items.add(item);
        }
        InputRecord last = items.get(items.size() - 1);
        assertEquals("unreadable_file", last.reason(), last.toString());
        // Jackson may hold back the last element until it sees what follows it.
        assertTrue(items.size() - 1 >= complete - 1 && items.size() - 1 <= complete, items.size() + " vs " + complete);
        assertEquals("q0", items.get(0).record().string("instruction"));
    }

    @Test
    void withSkipEveryRecordBeforeTheCutIsInTheOutputOrTheRejects() throws IOException {
        byte[] gz = gzip(corpus().getBytes(StandardCharsets.UTF_8));
        int cut = gz.length / 2 + 7;
        Path p = Files.write(dir.resolve("half.jsonl.gz"), Arrays.copyOf(gz, cut));
        byte[] readable = decompressible(Arrays.copyOf(gz, cut));
        List<String> expected = completeLines(readable);
        Path out = dir.resolve("out.jsonl");
        Path rejects = dir.resolve("rejects.jsonl");
        Path stats = dir.resolve("stats.json");
        Captured c = Captured.run(new byte[0], () -> TestStageCommand.kun("test-stage", "-i", p.toString(), "-o", out.toString(),
                "--rejects", rejects.toString(), "--stats", stats.toString(), "--on-error", "skip", "--checkpoint-every", "500"));
        assertEquals(0, c.code(), c.stderr());
        List<String> written = Files.readAllLines(out);
        assertEquals(expected.size(), written.size(), "records before the cut");
        assertTrue(expected.equals(written), "every line before the cut, in order");
        List<String> rejected = Files.readAllLines(rejects);
        assertEquals(1, rejected.size(), rejected.toString());
        JsonNode reject = Json.MAPPER.readTree(rejected.get(0));
        assertEquals("unreadable_file", reject.get("reason").asText());
        assertEquals(p + ":" + (expected.size() + 1), reject.get("source").asText());
        assertEquals(rest(readable), reject.get("raw").asText());
        JsonNode s = Json.MAPPER.readTree(stats.toFile());
        assertEquals(expected.size() + 1, s.get("total").asLong());
    }
}
