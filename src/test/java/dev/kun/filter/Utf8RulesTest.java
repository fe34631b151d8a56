package dev.kun.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kun.pipeline.Outcome;
import dev.kun.record.InputFile;
import dev.kun.record.InputRecord;
import dev.kun.record.KunRecord;
import dev.kun.record.ReadOptions;
import dev.kun.record.RecordReader;
import dev.kun.record.Utf8Text;
import dev.kun.testing.Records;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules decide on a compact record's UTF-8 bytes ({@link KunRecord#utf8}) exactly as on its decoded
 * text: every rule and every named set gives the same verdict and the same repaired record for a record
 * read as bytes and for the same record as a Jackson tree.
 */
class Utf8RulesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Pieces that meet each rule's edge: escapes, Python-only whitespace, keywords, 4-byte characters. */
    private static final String[] PIECES = {"a", "b", "n", " ", "\n", "\t", "\r", "\"", "\\", "教", "哈", "😀", "\u3000",
        "\u00a0", "\u0085", "\u2003", "\u1680", "\u202f", "根据", "作为", "2023", "新闻", "知识", "库", "。", "\u00e9"};

    @TempDir Path dir;

    @Test
    void everyRuleAndSetDecidesOnBytesAsOnText() throws IOException {
        Random random = new Random(20261130);
        List<KunRecord> trees = new ArrayList<>();
        for (String[] io : new String[][] {
            {"什么是民窿？  \n\n什么是民窿？\n", "当遇到同学处于情绪不好的状况时，可以先耐心聆听。 \n\n"},
            {"请介绍长城。\n长城多长？\n长城多长？", "哈".repeat(30)},
            {"\u3000\u3000\u3000\u3000\u3000", "😀".repeat(19)},
            {"好问题\u2003\u2003 \t\u00a0后面", "😀".repeat(20)},
            {"根据新闻回答", "抱歉，" + "教".repeat(30)},
            {"", ""},
            {"a\\nb\"c\n", "ab".repeat(6) + "\n"},
            {"长城多长？\n长城多长？", "教".repeat(19) + "\n\n\n"},
        }) {
            trees.add(Records.of("id", "x", "instruction", io[0], "input", "i", "output", io[1]));
        }
        for (int i = 0; i < 3000; i++) {
            trees.add(Records.of("id", "r" + i, "instruction", randomText(random), "input", randomText(random),
                    "output", randomText(random), "tail", "t"));
        }
        List<KunRecord> compact = compact(trees);
        List<Rule> rules = new ArrayList<>(RuleSet.load("all").rules());
        for (String set : List.of("all", "instruction", "output")) {
            FilterStage stage = new FilterStage(RuleSet.load(set), OutputFormat.JSONL);
            for (int i = 0; i < trees.size(); i++) {
                assertSameOutcome(stage.apply(trees.get(i)), stage.apply(compact.get(i)), set + " on " + trees.get(i));
            }
        }
        for (Rule rule : rules) {
            for (int i = 0; i < trees.size(); i++) {
                assertNotNull(compact.get(i).utf8(KunRecord.OUTPUT), "the bytes are what the rule reads");
                Verdict onText = rule.apply(trees.get(i));
                Verdict onBytes = rule.apply(compact.get(i));
                String what = rule.name() + " on " + trees.get(i);
                assertEquals(onText.dropReason(), onBytes.dropReason(), what);
                if (onText.isKept()) assertEquals(onText.record().toString(), onBytes.record().toString(), what);
            }
        }
    }

    @Test
    void keywordsWithALoneSurrogateStillMatchAsText() throws IOException {
        // As text, the high half of a pair is found inside the pair; bytes have no such half, so a keyword
        // list holding one is searched in the decoded text and gives the same answer.
        Keywords half = new Keywords(List.of("\ud83d"));
        assertNotNull(half.firstIn("a😀b"));
        KunRecord compact = compact(List.of(Records.of("output", "a😀b"))).get(0);
        assertTrue(half.anyIn(compact.utf8("output")));
        assertTrue(new Keywords(List.of("😀")).anyIn(compact.utf8("output")));
        assertTrue(!new Keywords(List.of("\ud83dx")).anyIn(compact.utf8("output")));
    }

    @Test
    void utf8TextCountsAndDecodesCharacters() {
        Utf8Text t = Utf8Text.encode("a教😀\u00e9");
        assertEquals(1 + 3 + 4 + 2, t.length());
        assertEquals(4, t.codePointCount());
        assertEquals(0x6559, t.codePointAt(1));
        assertEquals(3, t.charLength(1));
        assertEquals(0x1f600, t.codePointAt(4));
        assertEquals(4, t.charLength(4));
        assertEquals(0xe9, t.codePointAt(8));
        assertEquals("教😀", t.decode(1, 8));
        assertEquals("a教😀\u00e9", t.toString());
        assertTrue(t.contains(Utf8Text.encode("😀")));
        assertEquals(-1, t.indexOf('b', 0));
        assertNull(Utf8Text.encode("a\udc00"), "a lone surrogate has no UTF-8 form");
    }

    @Test
    void aFieldSetByARuleIsReadAsText() throws IOException {
        KunRecord compact = compact(List.of(Records.of("instruction", "问题 \n", "output", "o"))).get(0);
        assertNotNull(compact.utf8("instruction"));
        KunRecord trimmed = TrimRule.instruction().apply(compact).record();
        assertNull(trimmed.utf8("instruction"));
        assertEquals("问题", trimmed.string("instruction"));
        assertNotNull(trimmed.utf8("output"));
        assertNull(Records.of("output", "o").utf8("output"), "a tree record has no bytes");
    }

    private static String randomText(Random random) {
        StringBuilder sb = new StringBuilder();
        int pieces = random.nextInt(4) == 0 ? random.nextInt(4) : random.nextInt(40);
        for (int i = 0; i < pieces; i++) {
            sb.append(PIECES[random.nextInt(PIECES.length)]);
        }
        if (random.nextInt(5) == 0) {
            String unit = sb.length() == 0 ? "哈" : sb.substring(0, random.nextInt(Math.min(sb.length(), 6)) + 1);
            if (Character.isHighSurrogate(unit.charAt(unit.length() - 1))) unit = unit.substring(0, unit.length() - 1);
            String rest = sb.toString();
            sb.setLength(0);
            sb.append(unit.repeat(4 + random.nextInt(4))).append(rest);
        }
        return sb.toString();
    }

    /** The records as the filter reads them: written as JSONL, read back compact. */
    private List<KunRecord> compact(List<KunRecord> trees) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (KunRecord r : trees) lines.append(JSON.writeValueAsString(r.json())).append('\n');
        Path file = Files.createTempFile(dir, "in", ".jsonl");
        Files.writeString(file, lines, StandardCharsets.UTF_8);
        List<KunRecord> out = new ArrayList<>();
        try (RecordReader reader = new RecordReader(InputFile.resolve(List.of(file.toString())), ReadOptions.defaults(),
                RecordReader.Position.START, true)) {
            InputRecord item;
            while ((item = reader.next()) != null) out.add(item.record());
        }
        assertEquals(trees.size(), out.size());
        return out;
    }

    private static void assertSameOutcome(Outcome expected, Outcome actual, String what) {
        assertEquals(expected.isKept(), actual.isKept(), what);
        assertEquals(expected.dropReason(), actual.dropReason(), what);
        if (expected.isKept()) assertEquals(expected.record().toString(), actual.record().toString(), what);
    }
}
