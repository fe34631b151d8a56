package dev.kun.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.pipeline.Outcome;
import dev.kun.record.KunRecord;
import dev.kun.testing.Records;
import java.util.List;
import org.junit.jupiter.api.Test;

class FilterStageTest {
    private static final String LONG = "当遇到同学处于情绪不好的状况时，可以先耐心聆听，再给予关心和具体的帮助。";
    private final FilterStage all = new FilterStage(RuleSet.load("all"), OutputFormat.JSONL);

    @Test
    void keptRecordIsRepairedTrimmedAndLosesInputButKeepsOtherFields() {
        KunRecord in = Records.of("id", "7", "instruction", "什么是民窿？  \n\n什么是民窿？\n", "input", "",
                "output", LONG + " \n\n", "dataType", "wiki", "question_id", "q1");
        Outcome out = all.apply(in);
        assertTrue(out.isKept());
        assertEquals("{\"id\":\"7\",\"instruction\":\"什么是民窿？\",\"output\":\"" + LONG
                + "\",\"dataType\":\"wiki\",\"question_id\":\"q1\"}", out.record().toString());
    }

    @Test
    void theFirstDroppingRuleNamesTheReasonAndTheRejectIsTheInputRecord() {
        // Instruction keyword (step 3) comes before the output keyword (step 6).
        KunRecord both = Records.of("instruction", "根据新闻回答", "input", "x", "output", "抱歉，" + LONG);
        Outcome out = all.apply(both);
        assertEquals("instruction_keyword", out.dropReason());
        assertSame(both, out.record());
        assertEquals("output_keyword", all.apply(Records.of("instruction", "好问题", "output", "抱歉" + LONG)).dropReason());
        // The trim runs before the length check: 19 characters plus trailing newlines is too short.
        assertEquals("output_too_short", all.apply(Records.of("instruction", "好问题", "output", "教".repeat(19) + "\n\n\n"))
                .dropReason());
        assertEquals("output_repetition", all.apply(Records.of("instruction", "好问题", "output", "哈".repeat(30))).dropReason());
        assertEquals("instruction_duplicate_lines", all.apply(Records.of("instruction", "请介绍长城。\n长城多长？\n长城多长？",
                "output", LONG)).dropReason());
    }

    @Test
    void aMissingFieldIsBadInputWithAClearMessage() {
        KunRecord noOutput = Records.of("id", "3", "instruction", "好问题");
        Outcome out = all.apply(noOutput);
        assertTrue(out.isBadInput());
        assertEquals("missing_field", out.dropReason());
        assertEquals("record has no 'output' field", out.badInputMessage());
        assertSame(noOutput, out.record());
        Outcome noScore = new FilterStage(RuleSet.load("verdict"), OutputFormat.JSONL).apply(Records.of("instruction", "i"));
        assertEquals("record has no 'score' field", noScore.badInputMessage());
    }

    @Test
    void alpacaWritesInstructionInputOutputOnly() {
        FilterStage alpaca = new FilterStage(RuleSet.load("all"), OutputFormat.ALPACA);
        Outcome out = alpaca.apply(Records.of("id", "1", "instruction", "好问题", "input", "上下文", "output", LONG, "dataType", "x"));
        assertEquals("{\"instruction\":\"好问题\",\"input\":\"\",\"output\":\"" + LONG + "\"}", out.record().toString());
        FilterStage instructionOnly = new FilterStage(RuleSet.load("instruction"), OutputFormat.ALPACA);
        assertEquals("{\"instruction\":\"好问题\",\"input\":\"上下文\",\"output\":\"o\"}",
                instructionOnly.apply(Records.of("instruction", "好问题", "input", "上下文", "output", "o")).record().toString());
        Outcome noOutput = instructionOnly.apply(Records.of("instruction", "好问题"));
        assertEquals("missing_field", noOutput.dropReason());
        assertTrue(noOutput.isBadInput());
    }

    @Test
    void verdictSetSelectsOnScore() {
        FilterStage verdict = new FilterStage(RuleSet.load("verdict"), OutputFormat.JSONL);
        List<Outcome> outs = verdict.process(List.of(
                Records.of("instruction", "a", "score", "【好】"),
                Records.of("instruction", "b", "score", "【差】"),
                Records.of("instruction", "c", "score", "不知道")));
        assertTrue(outs.get(0).isKept());
        assertNull(outs.get(0).dropReason());
        assertEquals("verdict_bad", outs.get(1).dropReason());
        assertEquals("verdict_unparseable", outs.get(2).dropReason());
        assertFalse(outs.get(2).isBadInput());
    }

    @Test
    void fingerprintCoversRulesParametersAndFormat() {
        String base = all.fingerprint();
        assertEquals(base, new FilterStage(RuleSet.load("all"), OutputFormat.JSONL).fingerprint());
        assertNotEquals(base, new FilterStage(RuleSet.load("all"), OutputFormat.ALPACA).fingerprint());
        assertNotEquals(base, new FilterStage(RuleSet.load("output"), OutputFormat.JSONL).fingerprint());
        RuleSet verdict = RuleSet.load("verdict");
        assertNotEquals(new FilterStage(verdict, OutputFormat.JSONL).fingerprint(),
                new FilterStage(verdict.withVerdict(null, 4.0), OutputFormat.JSONL).fingerprint());
        assertEquals("filter", all.name());
    }
}
