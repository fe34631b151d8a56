package dev.kun.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.filter.VerdictMode;
import dev.kun.filter.VerdictRule;
import dev.kun.generate.PromptStage;
import dev.kun.generate.Provenance;
import dev.kun.generate.Seeds;
import dev.kun.pipeline.Outcome;
import dev.kun.prompt.ChatFormat;
import dev.kun.prompt.HumpbackPrompt;
import dev.kun.prompt.PointPrompt;
import dev.kun.record.Json;
import dev.kun.record.KunRecord;
import dev.kun.testing.FakeGenerator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JudgeTaskTest {
    static final String INSTRUCTION = "教育具有哪些社会发展功能？";
    static final String OUTPUT = "教育具有促进个体发展和社会发展的功能。";

    private static KunRecord record(String json) throws Exception {
        return new KunRecord((ObjectNode) Json.MAPPER.readTree(json));
    }

    private static KunRecord pair() throws Exception {
        return record("{\"id\":\"j\",\"instruction\":\"" + INSTRUCTION + "\",\"output\":\"" + OUTPUT + "\"}");
    }

    private static Outcome judge(JudgeConfig config, FakeGenerator g, KunRecord record) {
        return new PromptStage(g, new JudgeTask(config), config.defaultSampling(), 2, 4).process(List.of(record)).get(0);
    }

    private static JudgeConfig kun() {
        return JudgeConfig.of(JudgeConfig.Rubric.KUN, Provenance.of("Kun-PointModel", "f"));
    }

    @Test
    void kunJudgesTheInstructionAloneWithThePointPrompt() throws Exception {
        FakeGenerator g = new FakeGenerator().replying(r -> "【好】<|im_end|>");
        Outcome o = judge(kun(), g, pair());
        assertEquals(PointPrompt.render(INSTRUCTION), g.requests.get(0).prompt(), "byte for byte, the instruction only");
        assertTrue(o.isKept());
        assertEquals("{\"id\":\"j\",\"instruction\":\"" + INSTRUCTION + "\",\"output\":\"" + OUTPUT + "\",\"score\":\"【好】\","
                + "\"kun\":{\"judge\":{\"model\":\"Kun-PointModel\",\"model_fingerprint\":\"" + Provenance.of("", "f").modelFingerprint()
                + "\",\"sampling\":" + PromptStage.samplingJson(g.requests.get(0).sampling()) + ",\"seed\":" + Seeds.forRecord(2, "j")
                + ",\"finish_reason\":\"stop\",\"prompt_tokens\":" + PointPrompt.render(INSTRUCTION).length()
                + ",\"generated_tokens\":" + "【好】<|im_end|>".length() + ",\"verdict_from\":\"generate\",\"verdict\":\"keep\"}}}",
                o.record().toString());
        // Only the instruction is needed.
        assertTrue(judge(kun(), new FakeGenerator().replying(r -> "【好】"), record("{\"instruction\":\"问\"}")).isKept());
    }

    @Test
    void everyAnswerDecidesAsTheFilterDecides() throws Exception {
        String[] kunAnswers = {"【好】", "【差】", "【好】不，【差】", "好", "", "答：【好】。"};
        for (String answer : kunAnswers) {
            Outcome o = judge(kun(), new FakeGenerator().replying(r -> answer), pair());
            var filtered = new VerdictRule(VerdictMode.KUN, 5).apply(pair().with("score", answer));
            assertEquals(filtered.dropReason(), o.dropReason(), answer);
            assertEquals(answer, o.record().string("score"), "kept or not, the record keeps the raw answer");
        }
        String[] humpbackAnswers = {"Good.\nScore: 5", "Score: 4", "Score: 5 ... Score: 3", "Score: 7", "no rating", "score：５"};
        for (double min : new double[] {5, 4}) {
            JudgeConfig config = new JudgeConfig(JudgeConfig.Rubric.HUMPBACK, HumpbackPrompt.TEMPLATE, ChatFormat.kun(), min,
                    Provenance.of("m", "f"));
            for (String answer : humpbackAnswers) {
                Outcome o = judge(config, new FakeGenerator().replying(r -> answer), pair());
                var filtered = new VerdictRule(VerdictMode.HUMPBACK, min).apply(pair().with("score", answer));
                assertEquals(filtered.dropReason(), o.dropReason(), answer + " at " + min);
            }
        }
        Outcome unparseable = judge(kun(), new FakeGenerator().replying(r -> "这条指令还行"), pair());
        assertEquals("verdict_unparseable", unparseable.dropReason());
        assertEquals("unparseable", unparseable.record().json().at("/kun/judge/verdict").asText());
    }

    @Test
    void humpbackRatesThePairInChatMlOrVicuna() throws Exception {
        FakeGenerator g = new FakeGenerator().replying(r -> "Complete and clear.\nScore: 5");
        JudgeConfig config = JudgeConfig.of(JudgeConfig.Rubric.HUMPBACK, Provenance.of("m", "f"));
        Outcome o = judge(config, g, pair());
        String message = HumpbackPrompt.TEMPLATE.render(Map.of("generated_instruction", INSTRUCTION, "response", OUTPUT));
        assertEquals(ChatFormat.kun().render(message), g.requests.get(0).prompt());
        assertTrue(message.endsWith("\n" + INSTRUCTION + "\n" + OUTPUT));
        assertTrue(o.isKept());
        assertEquals(5.0, o.record().json().at("/kun/judge/rating").asDouble());

        FakeGenerator v = new FakeGenerator().replying(r -> "Score: 2");
        JudgeConfig vicuna = new JudgeConfig(JudgeConfig.Rubric.HUMPBACK, HumpbackPrompt.TEMPLATE, ChatFormat.vicuna(), 5, Provenance.of("m", "f"));
        assertEquals("verdict_low_score", judge(vicuna, v, pair()).dropReason());
        assertTrue(v.requests.get(0).prompt().startsWith(ChatFormat.VICUNA_SYSTEM + " USER: Below is an instruction"));
        assertTrue(v.requests.get(0).prompt().endsWith(OUTPUT + " ASSISTANT:"));
    }

    @Test
    void missingFieldsAreBadInputNotSent() throws Exception {
        FakeGenerator g = new FakeGenerator().replying(r -> "【好】");
        Outcome noInstruction = judge(kun(), g, record("{\"output\":\"文\"}"));
        assertTrue(noInstruction.isBadInput());
        assertEquals("missing_field", noInstruction.dropReason());
        Outcome noOutput = judge(JudgeConfig.of(JudgeConfig.Rubric.HUMPBACK, Provenance.of("m", "f")), g, record("{\"instruction\":\"问\"}"));
        assertTrue(noOutput.isBadInput());
        assertTrue(g.requests.isEmpty());
    }
}
