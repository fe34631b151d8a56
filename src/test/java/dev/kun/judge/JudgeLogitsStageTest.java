package dev.kun.judge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.generate.Provenance;
import dev.kun.generate.TextScorer;
import dev.kun.generate.Tokenizer;
import dev.kun.pipeline.Outcome;
import dev.kun.prompt.PointPrompt;
import dev.kun.record.Json;
import dev.kun.record.KunRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The logits judge's decisions and records on a scorer whose probabilities the test sets. */
class JudgeLogitsStageTest {

    /** One token per code point; after a prefix, the candidates get the log-probabilities in {@code answer}. */
    static class FixedScorer implements TextScorer {
        final List<int[]> prefixes = new ArrayList<>();
        final Map<Integer, Double> probabilities;
        int context = 100_000;

        FixedScorer(Map<Integer, Double> probabilities) {
            this.probabilities = probabilities;
        }

        @Override
        public List<float[]> nextTokenLogprobs(List<int[]> batch, int[] candidates) {
            prefixes.addAll(batch);
            List<float[]> out = new ArrayList<>();
            for (int[] ignored : batch) {
                float[] row = new float[candidates.length];
                for (int j = 0; j < candidates.length; j++) row[j] = (float) Math.log(probabilities.getOrDefault(candidates[j], 1e-6));
                out.add(row);
            }
            return out;
        }

        @Override
        public List<float[]> tokenLogprobs(List<int[]> sequences) {
            throw new UnsupportedOperationException();
        }

        @Override
        public int contextLength() {
            return context;
        }

        @Override
        public Tokenizer tokenizer() {
            return new Tokenizer() {
                @Override
                public int[] encode(String text) {
                    return text.codePoints().toArray();
                }

                @Override
                public String decode(int[] ids) {
                    return new String(ids, 0, ids.length);
                }
            };
        }

        @Override
        public String fingerprint() {
            return "fixed";
        }

        @Override
        public void close() {}
    }

    private static KunRecord record(String json) throws Exception {
        return new KunRecord((ObjectNode) Json.MAPPER.readTree(json));
    }

    @Test
    void kunKeepsWhen好IsLikelierThan差() throws Exception {
        FixedScorer likesIt = new FixedScorer(Map.of((int) '好', 0.5, (int) '差', 0.25));
        JudgeLogitsStage stage = new JudgeLogitsStage(likesIt, JudgeConfig.of(JudgeConfig.Rubric.KUN, Provenance.of("P", "f")), 8);
        assertEquals("【", stage.lead());
        List<Outcome> out = stage.process(List.of(record("{\"instruction\":\"问\"}"), record("{\"output\":\"无指令\"}")));
        Outcome kept = out.get(0);
        assertTrue(kept.isKept());
        String prompt = PointPrompt.render("问") + "【";
        assertEquals(prompt, new String(likesIt.prefixes.get(0), 0, likesIt.prefixes.get(0).length), "prompt plus the answer's start");
        assertEquals("{\"instruction\":\"问\",\"score\":\"【好】\",\"kun\":{\"judge\":{\"model\":\"P\",\"model_fingerprint\":\""
                + Provenance.of("", "f").modelFingerprint() + "\",\"verdict_from\":\"logits\",\"probabilities\":{\"好\":0.5,\"差\":0.25},"
                + "\"prompt_tokens\":" + prompt.length() + ",\"verdict\":\"keep\"}}}", kept.record().toString());
        assertEquals(prompt.length(), kept.tokensIn());
        assertTrue(out.get(1).isBadInput());

        FixedScorer dislikes = new FixedScorer(Map.of((int) '好', 0.3, (int) '差', 0.3));
        Outcome tie = new JudgeLogitsStage(dislikes, JudgeConfig.of(JudgeConfig.Rubric.KUN, Provenance.of("P", "f")), 8)
                .process(List.of(record("{\"instruction\":\"问\"}"))).get(0);
        assertEquals("verdict_bad", tie.dropReason(), "a tie is not 【好】: the rubric is strict with it");
        assertEquals("【差】", tie.record().string("score"));
    }

    @Test
    void humpbackTakesTheLikeliestRating() throws Exception {
        FixedScorer scorer = new FixedScorer(Map.of((int) '4', 0.5, (int) '5', 0.3, (int) '1', 0.1));
        JudgeConfig five = JudgeConfig.of(JudgeConfig.Rubric.HUMPBACK, Provenance.of("m", "f"));
        Outcome o = new JudgeLogitsStage(scorer, five, 8).process(List.of(record("{\"instruction\":\"问\",\"output\":\"答\"}"))).get(0);
        assertEquals("verdict_low_score", o.dropReason());
        assertEquals("Score: 4", o.record().string("score"));
        assertEquals(4.0, o.record().json().at("/kun/judge/rating").asDouble());
        assertEquals(0.3, o.record().json().at("/kun/judge/probabilities/5").asDouble(), 1e-6);
        JudgeConfig four = new JudgeConfig(JudgeConfig.Rubric.HUMPBACK, five.template(), five.chat(), 4, five.provenance());
        assertTrue(new JudgeLogitsStage(scorer, four, 8).process(List.of(record("{\"instruction\":\"问\",\"output\":\"答\"}"))).get(0).isKept());
    }

    @Test
    void aPromptOverTheContextIsRejectedAndNotScored() throws Exception {
        FixedScorer scorer = new FixedScorer(Map.of());
        scorer.context = PointPrompt.render("短").length() + 1;
        List<Outcome> out = new JudgeLogitsStage(scorer, JudgeConfig.of(JudgeConfig.Rubric.KUN, Provenance.of("m", "f")), 8)
                .process(List.of(record("{\"instruction\":\"短\"}"), record("{\"instruction\":\"长长长\"}")));
        assertEquals("verdict_bad", out.get(0).dropReason());
        assertEquals("prompt_too_long", out.get(1).dropReason());
        assertEquals(1, scorer.prefixes.size());
    }

    @Test
    void aVerdictThatIsNotOneTokenIsAUsageError() {
        FixedScorer pairs = new FixedScorer(Map.of()) {
            @Override
            public Tokenizer tokenizer() {
                return new Tokenizer() {
                    @Override
                    public int[] encode(String text) {
                        return text.chars().flatMap(c -> java.util.stream.IntStream.of(c >> 8, c & 0xff)).toArray();
                    }

                    @Override
                    public String decode(int[] ids) {
                        return "";
                    }
                };
            }
        };
        KunException e = assertThrows(KunException.class,
                () -> new JudgeLogitsStage(pairs, JudgeConfig.of(JudgeConfig.Rubric.KUN, Provenance.of("m", "f")), 8));
        assertEquals(ExitCodes.USAGE, e.exitCode());
        assertTrue(e.getMessage().contains("--verdict-from generate"), e.getMessage());
    }
}
