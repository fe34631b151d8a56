package dev.kun.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kun.filter.PointPromptExamples.Example;
import dev.kun.record.KunRecord;
import dev.kun.testing.Records;
import java.util.List;
import org.junit.jupiter.api.Test;

class InstructionRepairRuleTest {
    private final Rule rule = new InstructionRepairRule(5);

    private Verdict repair(String instruction) {
        return rule.apply(Records.of("instruction", instruction, "output", "o"));
    }

    @Test
    void pointPromptsBadExamplesAreRepairedToTheirGoodForm() {
        List<Example> examples = PointPromptExamples.all();
        assertEquals(7, examples.size(), "the point prompt has seven judged examples");
        // Example 3: a run of 7 whitespace characters after the question.
        Example exclusive = examples.get(2);
        assertEquals("什么是排他性许可？ \n \n   -> 什么是  \n     什么是  \n ", exclusive.instruction());
        assertEquals("什么是排他性许可？", repair(exclusive.instruction()).record().string("instruction"));
        // Example 4: only 4 whitespace characters in a row, but the line is duplicated.
        Example minlong = examples.get(3);
        assertEquals("什么是民窿？  \n\n什么是民窿？", minlong.instruction());
        assertEquals("什么是民窿？", repair(minlong.instruction()).record().string("instruction"));
        // Example 5: the 6-line repetition is cut at its whitespace run to example 6, judged good.
        Example education = examples.get(4);
        assertEquals("教育具有哪些社会发展功能？\n \n \n \n \n \n \n教育具有哪些社会发展功能？", education.instruction());
        assertEquals(examples.get(5).instruction(), repair(education.instruction()).record().string("instruction"));
        assertEquals("【好】", examples.get(5).verdict());
    }

    @Test
    void pointPromptsCleanExamplesAreKeptUnchanged() {
        for (int i : new int[] {0, 1, 5, 6}) {
            KunRecord r = Records.of("instruction", PointPromptExamples.all().get(i).instruction(), "output", "o");
            assertSame(r, rule.apply(r).record());
        }
    }

    @Test
    void whitespaceRunIsPythonsBackslashSOfAtLeastFive() {
        assertEquals("问题", repair("问题\t\r\n\u3000\u00a0后面").record().string("instruction"));
        assertEquals("问题 \n \n后面", repair("问题 \n \n后面").record().string("instruction"), "four is not a run");
        assertEquals("问题", repair("  问题     后面     更多").record().string("instruction"), "cut at the first run, stripped");
        assertEquals("问题\u200b\u200b\u200b\u200b\u200b后面", repair("问题\u200b\u200b\u200b\u200b\u200b后面").record()
                .string("instruction"), "zero-width spaces are not whitespace");
        assertEquals(InstructionRepairRule.EMPTY, repair("      什么？").dropReason());
    }

    @Test
    void duplicateLineNotAtTheStartDropsTheRecord() {
        assertEquals(InstructionRepairRule.DUPLICATE_LINES, repair("请介绍长城。\n长城有多长？\n长城有多长？").dropReason());
    }

    @Test
    void longestDuplicatedLineWinsAndLeadingWhitespaceIsIgnored() {
        // Both lines repeat; the longer one starts the stripped instruction.
        assertEquals("长城有多长？", repair(" 长城有多长？\n城墙\n长城有多长？\n城墙").record().string("instruction"));
        assertEquals(InstructionRepairRule.DUPLICATE_LINES, repair("城墙\n长城有多长？\n长城有多长？\n城墙").dropReason());
    }

    @Test
    void lineLengthIsCountedInCodePointsAndTiesGoToTheFirstLine() {
        // "😀😀" is 4 UTF-16 units but 2 characters; "abc" is 3 characters and wins, as in Python.
        assertEquals("abc", InstructionRepairRule.longestDuplicatedLine("😀😀\nabc\n😀😀\nabc"));
        assertEquals("xy", InstructionRepairRule.longestDuplicatedLine("xy\nzw\nzw\nxy"));
        assertNull(InstructionRepairRule.longestDuplicatedLine("a\nb\n \n "));
    }

    @Test
    void missingInstructionIsBadInput() {
        assertEquals("missing_field", org.junit.jupiter.api.Assertions.assertThrows(MissingFieldException.class,
                () -> rule.apply(Records.of("output", "o"))).reason());
    }
}
