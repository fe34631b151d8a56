package dev.kun.cli;

import dev.kun.error.ExitCodes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kun.testing.Captured;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilterCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LONG = "当遇到同学处于情绪不好的状况时，可以先耐心聆听，再给予关心和具体的帮助。";

    @TempDir Path dir;

    private Path write(String name, String... lines) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
        return file;
    }

    private static List<JsonNode> readJsonl(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    private static String line(String id, String instruction, String output) throws IOException {
        return JSON.createObjectNode().put("id", id).put("instruction", instruction).put("input", "")
                .put("output", output).put("dataType", "wiki").toString();
    }

    @Test
    void allRulesEndToEndWithOutputRejectsAndStats() throws IOException {
        Path in = write("in.jsonl",
                line("kept", "什么是民窿？  \n\n什么是民窿？", LONG + "\n \n"),
                line("kw", "请根据以下新闻回答", LONG),
                line("sorry", "你会什么？", "抱歉，" + LONG),
                line("short", "你好吗？", "我很好。"),
                line("rep", "笑一个", "哈".repeat(40)),
                line("dup", "请介绍长城。\n长城有多长？\n长城有多长？", LONG),
                line("cut", "什么是排他性许可？ \n \n   -> 什么是  \n     什么是  \n ", LONG));
        Path out = dir.resolve("out.jsonl");
        Path rejects = dir.resolve("rejects.jsonl");
        Path stats = dir.resolve("stats.json");
        Captured c = Captured.kun("filter", "-i", in.toString(), "-o", out.toString(), "--rejects", rejects.toString(),
                "--stats", stats.toString());
        assertEquals(0, c.code(), c.stderr());
        assertEquals("", c.out(), "data went to the file, nothing to stdout");

        List<String> kept = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertEquals(List.of(
                "{\"id\":\"kept\",\"instruction\":\"什么是民窿？\",\"output\":\"" + LONG + "\",\"dataType\":\"wiki\"}",
                "{\"id\":\"cut\",\"instruction\":\"什么是排他性许可？\",\"output\":\"" + LONG + "\",\"dataType\":\"wiki\"}"),
                kept);

        List<JsonNode> rejected = readJsonl(rejects);
        List<String> reasons = rejected.stream().map(r -> r.get("id").asText() + ":" + r.get("reason").asText()).toList();
        assertEquals(List.of("kw:instruction_keyword", "sorry:output_keyword", "short:output_too_short",
                "rep:output_repetition", "dup:instruction_duplicate_lines"), reasons);
        for (JsonNode r : rejected) {
            assertEquals("filter", r.get("stage").asText());
            assertTrue(r.has("input"), "a reject is the record as it came in");
        }
        assertEquals(in.toString() + ":2", rejected.get(0).get("source").asText());

        JsonNode s = JSON.readTree(stats.toFile());
        assertEquals(7, s.get("total").asLong());
        assertEquals(2, s.get("kept").asLong());
        assertEquals(5, s.get("dropped").asLong());
        assertEquals(1, s.get("dropped_output_repetition").asLong());
        assertEquals(1, s.get("dropped_instruction_keyword").asLong());

        // The filter's own checkpoint interval reached the runner (it is part of the resume fingerprint).
        JsonNode checkpoint = JSON.readTree(dir.resolve("out.jsonl.checkpoint").toFile());
        assertEquals(FilterCommand.CHECKPOINT_EVERY, checkpoint.get("fingerprint").get("checkpoint_every").asInt());
        assertTrue(Captured.kun("filter", "--help").out().contains("(default: 100000)"));
    }

    @Test
    void verdictSetInHumpbackModeWritesAlpacaToStdout() throws IOException {
        Path in = write("scored.jsonl",
                "{\"instruction\":\"a\",\"output\":\"A\",\"score\":\"fine.\\nScore: 4\",\"id\":\"1\"}",
                "{\"instruction\":\"b\",\"output\":\"B\",\"score\":\"meh.\\nScore: 3\",\"id\":\"2\"}",
                "{\"instruction\":\"c\",\"output\":\"C\",\"score\":\"【好】\",\"id\":\"3\"}");
        Path rejects = dir.resolve("r.jsonl");
        Captured c = Captured.kun("filter", "-i", in.toString(), "--rules", "verdict", "--verdict-mode", "humpback",
                "--min-score", "4", "--format", "alpaca", "--rejects", rejects.toString());
        assertEquals(0, c.code(), c.stderr());
        assertEquals("{\"instruction\":\"a\",\"input\":\"\",\"output\":\"A\"}\n", c.out());
        assertEquals(List.of("verdict_low_score", "verdict_unparseable"),
                readJsonl(rejects).stream().map(r -> r.get("reason").asText()).toList());

        Captured kun = Captured.kun("filter", "-i", in.toString(), "--rules", "verdict");
        assertEquals(0, kun.code(), kun.stderr());
        assertTrue(kun.out().contains("\"id\":\"3\"") && !kun.out().contains("\"id\":\"1\""), kun.out());
    }

    @Test
    void rulesFromAFile() throws IOException {
        write("words.txt", "长城");
        Path rules = write("mine.json", "{\"rules\": [{\"rule\": \"instruction_keyword\", \"keywords_file\": \"words.txt\"}]}");
        Path in = write("in.jsonl", line("1", "长城有多长？", "o"), line("2", "黄河有多长？", "o"));
        Captured c = Captured.kun("filter", "-i", in.toString(), "--rules", rules.toString());
        assertEquals(0, c.code(), c.stderr());
        assertEquals(line("2", "黄河有多长？", "o") + "\n", c.out());
    }

    @Test
    void missingFieldIsBadInputNamingFileAndLine() throws IOException {
        Path in = write("in.jsonl", line("1", "好问题", LONG), "{\"id\":\"2\",\"instruction\":\"没有回答\"}");
        Captured fail = Captured.kun("filter", "-i", in.toString());
        assertEquals(ExitCodes.BAD_INPUT, fail.code());
        assertEquals("kun: " + in + ":2: record has no 'output' field\n", fail.stderr());

        Path rejects = dir.resolve("rejects.jsonl");
        Captured skip = Captured.kun("filter", "-i", in.toString(), "--on-error", "skip", "--rejects", rejects.toString());
        assertEquals(0, skip.code(), skip.stderr());
        assertEquals(1, skip.out().lines().count());
        JsonNode reject = readJsonl(rejects).get(0);
        assertEquals("missing_field", reject.get("reason").asText());
        assertEquals("2", reject.get("id").asText());
    }

    @Test
    void badRuleOptionsAreUsageErrors() throws IOException {
        Path in = write("in.jsonl", line("1", "好问题", LONG));
        Captured unknown = Captured.kun("filter", "-i", in.toString(), "--rules", "nonesuch");
        assertEquals(ExitCodes.USAGE, unknown.code());
        assertTrue(unknown.stderr().startsWith("kun: --rules: 'nonesuch' is neither a named rule set"), unknown.stderr());
        Captured noVerdict = Captured.kun("filter", "-i", in.toString(), "--verdict-mode", "humpback");
        assertEquals(ExitCodes.USAGE, noVerdict.code());
        assertTrue(noVerdict.stderr().contains("has none"), noVerdict.stderr());
        assertEquals(ExitCodes.USAGE, Captured.kun("filter", "-i", in.toString(), "--format", "csv").code());
    }

    @Test
    void seedDataEveryRecordEndsInOutputOrRejectsExactlyOnce() throws IOException {
        Path seed = Path.of("").toAbsolutePath().resolve("../shared/data/seed-coig-kun.jsonl").normalize();
        Assumptions.assumeTrue(Files.isReadable(seed), "shared data absent: " + seed);
        Path out = dir.resolve("out.jsonl");
        Path rejects = dir.resolve("rejects.jsonl");
        Path stats = dir.resolve("stats.json");
        Captured c = Captured.kun("filter", "-i", seed.toString(), "-o", out.toString(), "--rejects", rejects.toString(),
                "--stats", stats.toString());
        assertEquals(0, c.code(), c.stderr());

        Set<String> inputIds = new HashSet<>();
        for (JsonNode r : readJsonl(seed)) {
            assertTrue(inputIds.add(r.get("id").asText()));
        }
        List<JsonNode> kept = readJsonl(out);
        List<JsonNode> dropped = readJsonl(rejects);
        Set<String> seen = new HashSet<>();
        for (JsonNode r : kept) {
            assertTrue(seen.add(r.get("id").asText()), "duplicate " + r.get("id"));
            assertFalse(r.has("input"), "the output rules drop input");
        }
        for (JsonNode r : dropped) {
            assertTrue(seen.add(r.get("id").asText()), "duplicate " + r.get("id"));
        }
        assertEquals(inputIds, seen);
        JsonNode s = JSON.readTree(stats.toFile());
        assertEquals(inputIds.size(), s.get("total").asLong());
        assertEquals(kept.size(), s.get("kept").asLong());
        assertEquals(dropped.size(), s.get("dropped").asLong());
        long byReason = 0;
        for (var it = s.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().startsWith("dropped_")) {
                byReason += e.getValue().asLong();
            }
        }
        assertEquals(dropped.size(), byReason);
        // The seed set is curated data, so most of it passes, but the rules do bite.
        assertTrue(kept.size() > dropped.size() && dropped.size() > 0, kept.size() + " kept, " + dropped.size() + " dropped");
    }
}
