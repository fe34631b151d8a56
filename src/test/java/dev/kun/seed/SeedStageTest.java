package dev.kun.seed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.pipeline.Outcome;
import dev.kun.pipeline.Stage;
import dev.kun.record.KunRecord;
import dev.kun.testing.Records;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SeedStageTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final String PARAGRAPH = "群聚效应是一个社会动力学的名词，用来描述在一个社会系统里，某件事情的存在已达至一个足够的动量，"
            + "使它能够自我维持，并为往后的成长提供动力。这个名词借用自核子物理学中的临界质量，在社会学上的意义是，"
            + "当采用一项创新的人数达到一定数量之后，这项创新便会自行扩散开来，不再需要外力推动。";

    static KunRecord doc(String id, String text) {
        ObjectNode node = MAPPER.createObjectNode();
        if (id != null) {
            node.put("id", id);
        }
        node.put("text", text);
        return new KunRecord(node);
    }

    static List<Outcome> runEach(Stage stage, List<KunRecord> records) {
        List<Outcome> out = new ArrayList<>();
        for (KunRecord r : records) {
            out.addAll(stage.process(List.of(r)));
        }
        return out;
    }

    private static SeedStage stage(SeedConfig config) {
        return new SeedStage(config, null, null);
    }

    @Test
    void movesTheCleanedDocumentToTextInPlaceAndKeepsOtherFields() {
        SeedStage stage = stage(SeedConfig.defaults().withTextField("output"));
        KunRecord in = Records.parse("{\"dataType\":\"wiki\",\"output\":\"  第一段 \\r\\n\\r\\n\\r\\n第二段  \",\"question_id\":7,"
                + "\"meta\":{\"a\":[1,2]},\"text\":\"stale\"}");
        Outcome o = stage.process(List.of(in)).get(0);
        assertTrue(o.isKept());
        String id = StableId.of("第一段\n\n第二段");
        assertEquals("{\"id\":\"" + id + "\",\"dataType\":\"wiki\",\"text\":\"第一段\\n\\n第二段\",\"question_id\":7,"
                + "\"meta\":{\"a\":[1,2]}}", o.record().toString());
    }

    @Test
    void keepsAnExistingIdAndReplacesANullOne() {
        SeedStage stage = stage(SeedConfig.defaults());
        assertEquals("{\"id\":\"doc-1\",\"text\":\"甲\",\"k\":1}",
                stage.process(List.of(Records.parse("{\"id\":\"doc-1\",\"text\":\"甲 \",\"k\":1}"))).get(0).record().toString());
        assertEquals("{\"id\":\"" + StableId.of("乙") + "\",\"text\":\"乙\"}",
                stage.process(List.of(Records.parse("{\"id\":null,\"text\":\"乙\"}"))).get(0).record().toString());
    }

    @Test
    void stableIdIsTheSameForTheSameNormalisedText() {
        KunRecord a = stage(SeedConfig.defaults()).process(List.of(doc(null, "同一段文字\r\n第二行"))).get(0).record();
        KunRecord b = stage(SeedConfig.defaults()).process(List.of(doc(null, "同一段文字 \n 第二行 "))).get(0).record();
        assertEquals(a.id(), b.id());
        assertEquals(StableId.of("同一段文字\n第二行"), a.id());
    }

    @Test
    void missingOrNonStringTextIsBadInput() {
        SeedStage stage = stage(SeedConfig.defaults());
        Outcome missing = stage.process(List.of(Records.parse("{\"id\":\"a\",\"body\":\"x\"}"))).get(0);
        assertTrue(missing.isBadInput());
        assertEquals("missing_field", missing.dropReason());
        assertTrue(missing.badInputMessage().contains("'text'"));
        Outcome number = stage.process(List.of(Records.parse("{\"id\":\"b\",\"text\":42}"))).get(0);
        assertTrue(number.isBadInput());
        assertEquals("missing_field", number.dropReason());
    }

    @Test
    void rulesDropWithTheirReasons() {
        SeedStage stage = stage(SeedConfig.defaults().withLengths(3, 5).withDedup(SeedConfig.Dedup.NONE));
        assertEquals("empty", stage.process(List.of(doc("a", " \u200B\n\t"))).get(0).dropReason());
        assertEquals("too_short", stage.process(List.of(doc("b", "一二"))).get(0).dropReason());
        assertEquals("too_long", stage.process(List.of(doc("c", "一二三四五六"))).get(0).dropReason());
        // Five emoji are ten UTF-16 units but five characters.
        assertTrue(stage.process(List.of(doc("d", "😀😁😂🤣😃"))).get(0).isKept());
        assertTrue(stage.process(List.of(doc("e", "一 二"))).get(0).isKept());
    }

    @Test
    void tokenLimitCountsTheCleanedText() {
        List<String> counted = new ArrayList<>();
        TokenCounter perChar = text -> {
            counted.add(text);
            return text.codePointCount(0, text.length());
        };
        SeedStage stage = new SeedStage(SeedConfig.defaults().withTokens("fake", 4), perChar, null);
        assertTrue(stage.process(List.of(doc("a", "  一二三四  "))).get(0).isKept());
        assertEquals("too_many_tokens", stage.process(List.of(doc("b", "一二三四五"))).get(0).dropReason());
        assertEquals(List.of("一二三四", "一二三四五"), counted);
        assertThrows(IllegalArgumentException.class,
                () -> new SeedStage(SeedConfig.defaults().withTokens("fake", 4), null, null));
    }

    @Test
    void exactDuplicatesAfterCleaningAreDroppedFirstOccurrenceWins() {
        SeedStage stage = stage(SeedConfig.defaults().withDedup(SeedConfig.Dedup.EXACT));
        List<Outcome> out = runEach(stage, List.of(doc("a", PARAGRAPH), doc("b", " " + PARAGRAPH.replace("，", "，\t ")),
                doc("c", PARAGRAPH + "。"), doc("d", PARAGRAPH)));
        assertTrue(out.get(0).isKept());
        assertEquals("a", out.get(0).record().id());
        assertTrue(out.get(1).isKept(), "extra spaces inside a line are collapsed, not removed");
        assertTrue(out.get(2).isKept(), "exact mode does not remove near duplicates");
        assertEquals("duplicate_exact", out.get(3).dropReason());
        assertEquals("d", out.get(3).record().id(), "the rejected record is the input record");
    }

    @Test
    void nearDuplicatesAreDroppedAndUnrelatedTextsKept() {
        SeedStage stage = stage(SeedConfig.defaults());
        String edited = PARAGRAPH.replace("社会动力学", "社会动力論").replace("核子物理学", "核物理学");
        String other = "欧洲越橘，又称黑果越橘，是杜鹃花科越橘属的植物。果实可作食用。是越橘属的模式种。欧洲越橘在英国称之为越橘，"
                + "在苏格兰则称为蓝莓。它的果实比蓝莓小，颜色较深，几乎是黑色的，通常生长在荒地和针叶林中的酸性土壤上。";
        List<Outcome> out = runEach(stage, List.of(doc("a", PARAGRAPH), doc("b", edited), doc("c", other),
                doc("d", PARAGRAPH)));
        assertTrue(out.get(0).isKept());
        assertEquals("duplicate_near", out.get(1).dropReason());
        assertTrue(out.get(2).isKept());
        assertEquals("duplicate_exact", out.get(3).dropReason());
    }

    @Test
    void dedupOffKeepsEverything() {
        SeedStage stage = stage(SeedConfig.defaults().withDedup(SeedConfig.Dedup.NONE));
        List<Outcome> out = runEach(stage, List.of(doc("a", PARAGRAPH), doc("b", PARAGRAPH)));
        assertTrue(out.get(0).isKept() && out.get(1).isKept());
    }

    @Test
    void restoreFromTheKeptOutputRebuildsTheSameState() {
        List<KunRecord> input = variants(60);
        List<Outcome> whole = runEach(stage(SeedConfig.defaults()), input);
        assertTrue(whole.stream().filter(o -> "duplicate_near".equals(o.dropReason())).count() > 5);
        assertTrue(whole.stream().filter(o -> "duplicate_exact".equals(o.dropReason())).count() > 5);
        for (int cut : new int[] {0, 1, 17, 31, 59}) {
            SeedStage first = stage(SeedConfig.defaults());
            List<Outcome> head = runEach(first, input.subList(0, cut));
            SeedStage resumed = stage(SeedConfig.defaults());
            for (Outcome o : head) {
                if (o.isKept()) {
                    resumed.restore(o.record());
                }
            }
            List<Outcome> tail = runEach(resumed, input.subList(cut, input.size()));
            List<Outcome> joined = new ArrayList<>(head);
            joined.addAll(tail);
            assertEquals(whole, joined, "cut at " + cut);
        }
    }

    @Test
    void oneBatchDecidesAsOneRecordAtATime() {
        // Records are prepared in parallel within a batch; duplicates inside the batch must still lose
        // to the earlier record, exactly as when the records come one by one.
        List<KunRecord> input = variants(60);
        SeedConfig config = SeedConfig.defaults().withTokens("fake", 400);
        TokenCounter chars = text -> text.codePointCount(0, text.length());
        List<Outcome> single = runEach(new SeedStage(config, chars, null), input);
        assertEquals(single, new SeedStage(config, chars, null).process(input));
    }

    @Test
    void runsAreDeterministic() {
        List<KunRecord> input = variants(40);
        assertEquals(runEach(stage(SeedConfig.defaults()), input), runEach(stage(SeedConfig.defaults()), input));
    }

    @Test
    void perplexityAddsFieldsAndDropsAboveTheMaximum() {
        AtomicInteger calls = new AtomicInteger();
        PerplexityScorer byLength = texts -> {
            calls.incrementAndGet();
            List<Perplexity> out = new ArrayList<>();
            for (String t : texts) {
                out.add(new Perplexity(t.length(), t.startsWith("坏") ? Double.NaN : t.length() * 1.5));
            }
            return out;
        };
        SeedConfig config = SeedConfig.defaults().withPerplexity("fake-model", 10.0);
        SeedStage stage = new SeedStage(config, null, byLength);
        assertEquals(64, stage.batchSize());
        List<Outcome> out = stage.process(List.of(doc("a", "一二三"), doc("b", "一二三四五六七八"), doc("c", "坏"),
                doc("d", "一二三"), doc("e", "")));
        assertEquals("{\"id\":\"a\",\"text\":\"一二三\",\"tokens\":3,\"ppl\":4.5}", out.get(0).record().toString());
        assertEquals("perplexity", out.get(1).dropReason());
        assertEquals("perplexity", out.get(2).dropReason(), "an undefined perplexity is not below the maximum");
        assertEquals("duplicate_exact", out.get(3).dropReason(), "duplicate before perplexity, whatever the batch");
        assertEquals("empty", out.get(4).dropReason());
        assertEquals(1, calls.get(), "one scorer call per batch");
        assertEquals(3, out.get(0).tokensIn(), "stats count the tokens scored");
        assertEquals(8, out.get(1).tokensIn());
        assertFalse(out.get(1).record().has("ppl"), "a rejected record is the input record");
    }

    @Test
    void fingerprintChangesWithEveryOutputAffectingOption() {
        String base = stage(SeedConfig.defaults()).fingerprint();
        assertFalse(base.equals(stage(SeedConfig.defaults().withNfkc(true)).fingerprint()));
        assertFalse(base.equals(stage(SeedConfig.defaults().withLengths(1, 0)).fingerprint()));
        assertFalse(base.equals(stage(SeedConfig.defaults().withDedup(SeedConfig.Dedup.EXACT)).fingerprint()));
        assertFalse(base.equals(stage(SeedConfig.defaults().withTextField("output")).fingerprint()));
        assertEquals(base, stage(SeedConfig.defaults()).fingerprint());
    }

    /** Paragraph variants: exact copies, copies with whitespace changes and copies with a few edits. */
    static List<KunRecord> variants(int n) {
        java.util.Random random = new java.util.Random(11);
        List<String> bases = new ArrayList<>();
        for (int b = 0; b < 8; b++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 300; i++) {
                sb.append((char) (0x4E00 + random.nextInt(0x5000)));
            }
            bases.add(sb.toString());
        }
        List<KunRecord> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String base = bases.get(random.nextInt(bases.size()));
            String text = switch (random.nextInt(3)) {
                case 0 -> base;
                case 1 -> " " + base + "\r\n";
                default -> {
                    StringBuilder sb = new StringBuilder(base);
                    sb.setCharAt(random.nextInt(sb.length()), '字');
                    yield sb.toString();
                }
            };
            out.add(doc(i % 3 == 0 ? null : "r" + i, text));
        }
        return out;
    }
}
