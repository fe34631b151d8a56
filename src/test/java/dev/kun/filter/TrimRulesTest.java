package dev.kun.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kun.record.KunRecord;
import dev.kun.testing.Records;
import org.junit.jupiter.api.Test;

class TrimRulesTest {

    @Test
    void instructionTrimRemovesTrailingSpacesAndNewlinesOnly() {
        KunRecord r = Records.of("instruction", "  什么是民窿？ \n\n ", "output", "答案 \n");
        KunRecord trimmed = TrimRule.instruction().apply(r).record();
        assertEquals("  什么是民窿？", trimmed.string("instruction"));
        assertEquals("答案 \n", trimmed.string("output"));
        assertEquals("什么？\t", TrimRule.instruction().apply(Records.of("instruction", "什么？\t\n")).record()
                .string("instruction"));
    }

    @Test
    void outputTrimTrimsTheOutputAndNotTheInstruction() {
        // The original assigned the trimmed output to "instruction"; that bug must not come back.
        KunRecord r = Records.of("instruction", "什么是民窿？", "output", "民窿是……。\n \n", "dataType", "x");
        KunRecord trimmed = TrimRule.output().apply(r).record();
        assertEquals("什么是民窿？", trimmed.string("instruction"));
        assertEquals("民窿是……。", trimmed.string("output"));
        assertEquals("x", trimmed.string("dataType"));
        assertEquals("民窿是……。\n \n", r.string("output"), "the input record is not modified");
    }

    @Test
    void unchangedRecordIsReturnedAsIs() {
        KunRecord r = Records.of("instruction", "好", "output", "好😀");
        assertSame(r, TrimRule.output().apply(r).record());
        assertSame(r, TrimRule.instruction().apply(r).record());
    }

    @Test
    void dropInputRemovesTheFieldAndNeverDrops() {
        KunRecord r = Records.of("instruction", "i", "input", "", "output", "o");
        KunRecord out = new DropInputFieldRule().apply(r).record();
        assertFalse(out.has("input"));
        assertEquals("{\"instruction\":\"i\",\"output\":\"o\"}", out.toString());
        KunRecord without = Records.of("instruction", "i");
        assertSame(without, new DropInputFieldRule().apply(without).record());
    }
}
