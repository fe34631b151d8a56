package dev.kun.seed;

import static dev.kun.seed.SeedStageTest.PARAGRAPH;
import static dev.kun.seed.SeedStageTest.doc;
import static dev.kun.seed.SeedStageTest.runEach;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.pipeline.Outcome;
import dev.kun.prompt.LabelPrompt;
import dev.kun.record.KunRecord;
import dev.kun.testing.Records;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code kun seed --invert}: seed pairs into label-model training pairs, byte for byte, and their resume. */
class InvertStageTest {

    private static InvertStage stage(SeedConfig config) {
        return new InvertStage(config, null, null);
    }

    @Test
    void invertMakesPromptCompletionPairsByteExact() {
        InvertStage stage = stage(SeedConfig.defaults().withInvert(SeedConfig.SftFormat.PROMPT_COMPLETION));
        List<Outcome> out = runEach(stage, List.of(
                Records.parse("{\"id\":\"s1\",\"instruction\":\"教育具有哪些社会发展功能？\",\"input\":\"\","
                        + "\"output\":\"教育具有促进个体发展和社会发展的功能。\",\"source\":\"x\"}"),
                Records.parse("{\"instruction\":\"翻译成英文。 \",\"input\":\"你好\",\"output\":\"Hello\"}"),
                Records.parse("{\"id\":\"s3\",\"instruction\":\"空回复\",\"input\":\"\",\"output\":\"  \"}"),
                Records.parse("{\"id\":\"s4\",\"instruction\":\" \",\"output\":\"有回复\"}"),
                Records.parse("{\"id\":\"s5\",\"output\":\"没有指令\"}")));
        assertEquals("{\"id\":\"s1\",\"prompt\":\"<|im_start|>user请直接告诉我，以下回复最有可能对应的指令是什么：\\n"
                + "教育具有促进个体发展和社会发展的功能。<|im_end|>\\n<|im_start|>assistant\\n\","
                + "\"completion\":\"教育具有哪些社会发展功能？<|im_end|>\"}", out.get(0).record().toString());
        assertEquals(LabelPrompt.render("教育具有促进个体发展和社会发展的功能。"), out.get(0).record().string("prompt"));
        assertEquals("翻译成英文。\n你好<|im_end|>", out.get(1).record().string("completion"));
        assertEquals(StableId.of("Hello"), out.get(1).record().id());
        assertEquals("empty_output", out.get(2).dropReason());
        assertEquals("empty_instruction", out.get(3).dropReason());
        assertTrue(out.get(4).isBadInput());
    }

    @Test
    void invertMessagesFormatAndRestore() {
        SeedConfig config = SeedConfig.defaults().withInvert(SeedConfig.SftFormat.MESSAGES);
        KunRecord pair = Records.parse("{\"id\":\"s1\",\"instruction\":\"问题\",\"output\":\"" + PARAGRAPH + "\"}");
        KunRecord out = stage(config).process(List.of(pair)).get(0).record();
        assertEquals("user", out.json().get("messages").get(0).get("role").asText());
        assertEquals(LabelPrompt.TEXT + "\n" + PARAGRAPH, out.json().get("messages").get(0).get("content").asText());
        assertEquals("问题", out.json().get("messages").get(1).get("content").asText());
        InvertStage resumed = stage(config);
        resumed.restore(out);
        assertEquals("duplicate_exact", resumed.process(List.of(pair)).get(0).dropReason());

        SeedConfig pc = SeedConfig.defaults().withInvert(SeedConfig.SftFormat.PROMPT_COMPLETION);
        KunRecord written = stage(pc).process(List.of(pair)).get(0).record();
        InvertStage resumedPc = stage(pc);
        resumedPc.restore(written);
        assertEquals("duplicate_exact", resumedPc.process(List.of(pair)).get(0).dropReason());
        assertThrows(IllegalStateException.class, () -> resumedPc.restore(doc("x", "not a pair")));
    }

    @Test
    void eachStageRefusesTheOthersConfiguration() {
        assertThrows(IllegalArgumentException.class, () -> stage(SeedConfig.defaults()));
        assertThrows(IllegalArgumentException.class,
                () -> new SeedStage(SeedConfig.defaults().withInvert(SeedConfig.SftFormat.MESSAGES), null, null));
    }
}
