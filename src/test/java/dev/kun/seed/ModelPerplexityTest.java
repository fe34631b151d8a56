package dev.kun.seed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.model.DjlGenerator;
import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Perplexity of the seed stage on a tiny random Llama written by the test (real tokenizer.json, safetensors). */
class ModelPerplexityTest {
    @TempDir static Path dir;
    static DjlGenerator model;
    static ModelPerplexity scorer;

    @BeforeAll
    static void open() {
        // 64 positions: the long text below exceeds the context and must be scored on its head.
        TinyCheckpoint.builder().layers(1).maxPositions(64).write(dir);
        model = DjlGenerator.open(dir, DjlGenerator.Options.defaults().withDevice("cpu", null).withThreads(1));
        scorer = new ModelPerplexity(model);
    }

    @AfterAll
    static void close() {
        if (scorer != null) {
            scorer.close();
        }
    }

    @Test
    void perplexityIsExpOfTheNegativeMeanLogProbabilityWithBosAsContext() {
        List<String> texts = List.of("教育具有促进个体发展的功能。", "abc", "x");
        List<Perplexity> scores = scorer.score(texts);
        List<float[]> withBos = model.textLogprobs(texts, true);
        for (int i = 0; i < texts.size(); i++) {
            int n = model.tokenizer().count(texts.get(i));
            assertEquals(n, scores.get(i).tokens());
            assertEquals(n, withBos.get(i).length, "BOS as context gives every token of the text a value");
            double sum = 0;
            for (float lp : withBos.get(i)) {
                sum += lp;
            }
            assertEquals(Math.exp(-sum / n), scores.get(i).ppl(), 0.0005 + 1e-6 * scores.get(i).ppl());
            assertTrue(scores.get(i).ppl() > 1);
        }
    }

    @Test
    void sameScoreAloneAndInABatchUpToFloatNoise() {
        List<String> texts = List.of("第一段文字。", "The second, longer text with more tokens in it.", "三");
        List<Perplexity> batch = scorer.score(texts);
        for (int i = 0; i < texts.size(); i++) {
            Perplexity alone = scorer.score(List.of(texts.get(i))).get(0);
            assertEquals(alone.tokens(), batch.get(i).tokens());
            // Padding changes the float summation order, not the value beyond float noise.
            assertEquals(alone.ppl(), batch.get(i).ppl(), 1e-5 * alone.ppl() + 0.001);
        }
    }

    @Test
    void textLongerThanTheContextIsScoredOnItsHead() {
        String longText = "长".repeat(300);
        Perplexity p = scorer.score(List.of(longText)).get(0);
        assertEquals(model.tokenizer().count(longText), p.tokens());
        assertTrue(p.tokens() > model.maxContext());
        assertTrue(Double.isFinite(p.ppl()));
    }

    @Test
    void formulaOnKnownLogProbabilities() {
        assertEquals(Math.rint(Math.exp(1.5) * 1000) / 1000, ModelPerplexity.perplexity(new float[] {-1f, -2f}), 0);
        assertEquals(1.0, ModelPerplexity.perplexity(new float[] {0f}), 0);
        assertTrue(Double.isNaN(ModelPerplexity.perplexity(new float[0])));
    }
}
