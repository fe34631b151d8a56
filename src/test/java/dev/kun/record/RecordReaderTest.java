package dev.kun.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordReaderTest {
    @TempDir Path dir;

    static final String UNICODE = "{\"id\":\"u1\",\"text\":\"中文，标点。😀 e\u0301 \\\"q\\\" \\\\ \\n tab\\t 𝄞\",\"score\":0.10}\n"
            + "{\"text\":\"صباح الخير\",\"nested\":{\"a\":[1,2.50,null,true]}}\n";

    private List<InputRecord> readAll(ReadOptions options, String... inputs) throws IOException {
        List<InputRecord> items = new ArrayList<>();
        try (RecordReader r = new RecordReader(InputFile.resolve(List.of(inputs)), options)) {
            InputRecord item;
            while ((item = r.next()) != null) items.add(item);
        }
        return items;
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.write(p, bytes);
        return p;
    }

    private static byte[] gzip(byte[] bytes) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (OutputStream gz = new GZIPOutputStream(b)) {
            gz.write(bytes);
        }
        return b.toByteArray();
    }

    @Test
    void unicodeRoundTripsByteExactThroughPlainAndGzip() throws IOException {
        byte[] original = UNICODE.getBytes(StandardCharsets.UTF_8);
        for (String name : new String[] {"u.jsonl", "u.jsonl.gz"}) {
            Path in = write("in-" + name, name.endsWith(".gz") ? gzip(original) : original);
            Path out = dir.resolve("out-" + name);
            try (JsonlWriter w = JsonlWriter.create(out, JsonlWriter.gzipName(out))) {
                for (InputRecord item : readAll(ReadOptions.defaults(), in.toString())) {
                    w.write(item.record());
                    w.commit(); // one gzip member per record: still one valid gzip stream
                }
            }
            byte[] written = Files.readAllBytes(out);
            byte[] plain = name.endsWith(".gz") ? new GZIPInputStream(Files.newInputStream(out)).readAllBytes() : written;
            assertArrayEquals(original, plain, name);
        }
        InputRecord first = readAll(ReadOptions.defaults(), dir.resolve("in-u.jsonl").toString()).get(0);
        assertEquals("中文，标点。😀 e\u0301 \"q\" \\ \n tab\t 𝄞", first.record().string("text"));
    }

    @Test
    void directoriesAreReadInSortedOrderAndOnlyRecordFiles() throws IOException {
        write("d/b.jsonl", "{\"n\":\"b\"}\n".getBytes(StandardCharsets.UTF_8));
        write("d/a.jsonl.gz", gzip("{\"n\":\"a\"}\n".getBytes(StandardCharsets.UTF_8)));
        write("d/c.txt", "plain c\n".getBytes(StandardCharsets.UTF_8));
        write("d/notes.md", "ignored\n".getBytes(StandardCharsets.UTF_8));
        write("d/a0.json", "[{\"n\":\"a0\"}]".getBytes(StandardCharsets.UTF_8));
        List<InputRecord> items = readAll(ReadOptions.defaults(), dir.resolve("d").toString());
        List<String> got = new ArrayList<>();
        for (InputRecord i : items) got.add(i.record().has("n") ? i.record().string("n") : i.record().string("text"));
        assertEquals(List.of("a", "a0", "b", "plain c"), got);
        assertEquals(dir.resolve("d/b.jsonl") + ":1", items.get(2).source());
    }

    @Test
    void jsonArrayFileIsStreamedElementByElementWithStartLines() throws IOException {
        String array = "[\n  {\"instruction\": \"写诗\", \"input\": \"\", \"output\": \"床前明月光\"},\n"
                + "  {\"instruction\": \"b\",\n   \"output\": \"c\"},\n  42,\n  {\"instruction\": \"d\"}\n]\n";
        Path p = write("question.jsonl", array.getBytes(StandardCharsets.UTF_8));
        List<InputRecord> items = readAll(ReadOptions.defaults(), p.toString());
        assertEquals(4, items.size(), items.toString());
        assertEquals("床前明月光", items.get(0).record().string("output"));
        assertEquals(2, items.get(0).line());
        assertEquals(3, items.get(1).line());
        assertEquals("not_an_object", items.get(2).reason());
        assertEquals(5, items.get(2).line());
        assertEquals("d", items.get(3).record().string("instruction"));
    }

    @Test
    void plainTextSplitsByParagraphLineOrFile() throws IOException {
        String text = "\uFEFF第一段第一行\r\n第一段第二行\n\n\n  \n第二段\n\u3000\n第三段 😀\n";
        Path p = write("doc.txt", text.getBytes(StandardCharsets.UTF_8));
        List<InputRecord> para = readAll(new ReadOptions(InputFormat.AUTO, SplitMode.PARAGRAPH, "text", 1 << 20), p.toString());
        assertEquals(List.of("第一段第一行\n第一段第二行", "第二段", "第三段 😀"), texts(para, "text"));
        assertEquals(List.of(1L, 6L, 8L), para.stream().map(InputRecord::line).toList());
        List<InputRecord> lines = readAll(new ReadOptions(InputFormat.AUTO, SplitMode.LINE, "prompt", 1 << 20), p.toString());
        assertEquals(List.of("第一段第一行", "第一段第二行", "第二段", "第三段 😀"), texts(lines, "prompt"));
        List<InputRecord> file = readAll(new ReadOptions(InputFormat.AUTO, SplitMode.FILE, "text", 1 << 20), p.toString());
        assertEquals(List.of("第一段第一行\n第一段第二行\n\n\n  \n第二段\n\u3000\n第三段 😀"), texts(file, "text"));
    }

    private static List<String> texts(List<InputRecord> items, String field) {
        return items.stream().map(i -> i.record().string(field)).toList();
    }

    @Test
    void badInputComesBackAsItemsWithReasonAndLine() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write("{\"text\":\"ok\"}\n".getBytes(StandardCharsets.UTF_8));
        b.write("{\"text\": broken\n".getBytes(StandardCharsets.UTF_8));
        b.write("[1,2]\n".getBytes(StandardCharsets.UTF_8));
        b.write(new byte[] {'{', '"', 't', '"', ':', '"', (byte) 0xc3, (byte) 0x28, '"', '}', '\n'});
        b.write(("{\"text\":\"" + "x".repeat(300) + "\"}\n").getBytes(StandardCharsets.UTF_8));
        b.write("{\"a\":1} trailing\n".getBytes(StandardCharsets.UTF_8));
        b.write("   \n".getBytes(StandardCharsets.UTF_8));
        b.write("{\"text\":\"last\"}".getBytes(StandardCharsets.UTF_8)); // no final newline
        Path p = write("bad.jsonl", b.toByteArray());
        List<InputRecord> items = readAll(new ReadOptions(InputFormat.AUTO, SplitMode.PARAGRAPH, "text", 200), p.toString());
        assertEquals(List.of("ok", "malformed_json", "not_an_object", "invalid_utf8", "line_too_long", "malformed_json", "last"),
                items.stream().map(i -> i.isBad() ? i.reason() : i.record().string("text")).toList());
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 8L), items.stream().map(InputRecord::line).toList());
        assertEquals("{\"text\": broken", items.get(1).raw());
        assertNull(items.get(4).raw());
    }

    @Test
    void emptyAndMissingFilesAreBadInput() throws IOException {
        Path empty = write("empty.jsonl", new byte[0]);
        Path blank = write("blank.jsonl", "\n  \n".getBytes(StandardCharsets.UTF_8));
        Path emptyDir = Files.createDirectories(dir.resolve("nothing-here"));
        List<InputRecord> items = readAll(ReadOptions.defaults(), empty.toString(), blank.toString(),
                dir.resolve("missing.jsonl").toString(), emptyDir.toString());
        assertEquals(List.of("empty_file", "empty_file", "unreadable_file", "unreadable_file"),
                items.stream().map(InputRecord::reason).toList());
        assertTrue(items.get(3).message().startsWith("directory holds no *.jsonl"), items.get(3).message());
        assertEquals(empty.toString(), items.get(0).source());
        assertTrue(items.get(2).message().startsWith("cannot read"), items.get(2).message());
    }

    @Test
    void truncatedGzipIsUnreadableAtTheLineItStopped() throws IOException {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 100_000; i++) s.append("{\"text\":\"record ").append(i).append("\"}\n");
        byte[] gz = gzip(s.toString().getBytes(StandardCharsets.UTF_8));
        Path p = write("cut.jsonl.gz", java.util.Arrays.copyOf(gz, gz.length / 2));
        List<InputRecord> items = readAll(ReadOptions.defaults(), p.toString());
        InputRecord last = items.get(items.size() - 1);
        assertEquals("unreadable_file", last.reason());
        assertEquals(items.size(), last.line());
        assertTrue(items.size() > 10 && items.size() < 100_000, "read " + items);
    }

    @Test
    void corruptGzipHeaderIsUnreadable() throws IOException {
        Path p = write("bad.jsonl.gz", new byte[] {0x1f, (byte) 0x8b, 9, 9, 9});
        Path good = write("good.jsonl", "{\"text\":\"after\"}\n".getBytes(StandardCharsets.UTF_8));
        List<InputRecord> items = readAll(ReadOptions.defaults(), p.toString(), good.toString());
        assertEquals("unreadable_file", items.get(0).reason());
        assertTrue(items.get(0).message().startsWith("read failed: "), items.get(0).message());
        assertEquals("after", items.get(1).record().string("text"));
    }

    @Test
    void aReaderOpenedAtAPositionContinuesWithTheSameItems() throws IOException {
        write("p/1.jsonl", "{\"k\":\"1\"}\n\n{\"k\":\"2\"}\nnope\n{\"k\":\"3\"}\n".getBytes(StandardCharsets.UTF_8));
        write("p/2.jsonl.gz", gzip("{\"k\":\"4\"}\n{\"k\":\"5\"}\n".getBytes(StandardCharsets.UTF_8)));
        write("p/3.json", "[{\"k\":\"6\"},{\"k\":\"7\"},{\"k\":\"8\"}]".getBytes(StandardCharsets.UTF_8));
        write("p/4.txt", "nine\n\nten\n".getBytes(StandardCharsets.UTF_8));
        List<InputFile> files = InputFile.resolve(List.of(dir.resolve("p").toString()));
        List<String> all = new ArrayList<>();
        List<RecordReader.Position> positions = new ArrayList<>();
        try (RecordReader r = new RecordReader(files, ReadOptions.defaults())) {
            positions.add(r.position());
            InputRecord i;
            while ((i = r.next()) != null) {
                all.add(describe(i));
                positions.add(r.position());
            }
        }
        assertEquals(11, all.size());
        for (int k = 0; k < positions.size(); k++) {
            List<String> rest = new ArrayList<>();
            try (RecordReader r = new RecordReader(files, ReadOptions.defaults(), positions.get(k))) {
                InputRecord i;
                while ((i = r.next()) != null) rest.add(describe(i));
            }
            assertEquals(all.subList(k, all.size()), rest, "resumed at item " + k + " " + positions.get(k));
        }
    }

    private static String describe(InputRecord i) {
        return i.source() + " " + (i.isBad() ? i.reason() : i.record().toString());
    }

    @Test
    void aJsonArrayElementThatIsNotAnObjectSaysWhatItIs() throws IOException {
        Path in = write("mixed.json", "[{\"text\":\"a\"},\n 5,\n \"s\",\n [1],\n true,\n null,\n {\"text\":\"b\"}]"
                .getBytes(StandardCharsets.UTF_8));
        List<InputRecord> items = readAll(ReadOptions.defaults(), in.toString());
        List<String> bad = new ArrayList<>();
        for (InputRecord item : items) {
            if (item.isBad()) bad.add(item.source() + " " + item.reason() + " " + item.message());
        }
        String prefix = in + ":";
        assertEquals(List.of(
                prefix + "2 not_an_object array element: expected a JSON object, found number",
                prefix + "3 not_an_object array element: expected a JSON object, found string",
                prefix + "4 not_an_object array element: expected a JSON object, found array",
                prefix + "5 not_an_object array element: expected a JSON object, found boolean",
                prefix + "6 not_an_object array element: expected a JSON object, found null"), bad);
        assertEquals(List.of("a", "b"), texts(items.stream().filter(i -> !i.isBad()).toList(), "text"));
    }
}
