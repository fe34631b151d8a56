package dev.kun.model;

import dev.kun.model.llama.LlamaConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.generate.FinishReason;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generation and scoring end to end on tiny checkpoints written to disk, through Checkpoint.open. */
class DjlGeneratorTest {
    @TempDir static Path tmp;
    static Path gqaBf16;
    static DjlGenerator batched; // 2 slots: more requests than slots
    static DjlGenerator single; // 1 slot: every request alone

    static final List<String> PROMPTS = List.of(
            "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n",
            "你好，世界",
            "a",
            "The quick brown fox jumps over the lazy dog, again and again",
            "emoji 😀 and more");

    @BeforeAll
    static void load() {
        gqaBf16 = TinyCheckpoint.builder().seed(11).gqa(4, 2).dtype("BF16").tied(true).write(tmp.resolve("gqa-bf16"));
        batched = DjlGenerator.open(gqaBf16, DjlGenerator.Options.defaults().withMaxBatch(2).withThreads(1));
        single = DjlGenerator.open(gqaBf16, DjlGenerator.Options.defaults().withMaxBatch(1));
    }

    @AfterAll
    static void close() {
        batched.close();
        single.close();
    }

    static GenerationRequest greedy(String prompt, int maxTokens) {
        return new GenerationRequest(prompt, SamplingParams.greedy(maxTokens), 0);
    }

    static GenerationRequest sampled(String prompt, long seed) {
        return new GenerationRequest(prompt, new SamplingParams(0.9, 0.9, 40, 1.2, 12, List.of(), List.of()), seed);
    }

    @Test
    void batchedWithRefillsEqualsEachRequestAlone() {
        List<GenerationRequest> requests = new ArrayList<>();
        int[] budgets = {24, 3, 5, 2, 7};
        for (int i = 0; i < PROMPTS.size(); i++) requests.add(greedy(PROMPTS.get(i), budgets[i]));
        long refillsBefore = batched.counters().refillsWhileDecoding();
        List<Generation> together = batched.generate(requests);
        assertTrue(batched.counters().refillsWhileDecoding() > refillsBefore, "a freed slot is refilled while another sequence still decodes");
        for (int i = 0; i < requests.size(); i++) {
            Generation alone = single.generate(List.of(requests.get(i))).get(0);
            Generation t = together.get(i);
            assertArrayEquals(alone.tokenIds(), t.tokenIds(), "request " + i);
            assertEquals(alone.text(), t.text());
            assertEquals(alone.finishReason(), t.finishReason());
            for (int k = 0; k < alone.tokenLogprobs().length; k++) {
                assertEquals(alone.tokenLogprobs()[k], t.tokenLogprobs()[k], 1e-4, "log-prob " + k + " of request " + i);
            }
            assertTrue(t.generatedTokens() <= budgets[i]);
            assertEquals(t.tokenIds().length, t.generatedTokens());
            assertEquals(single.countTokens(PROMPTS.get(i)), t.promptTokens());
        }
    }

    @Test
    void greedyIsDeterministic() {
        List<GenerationRequest> r = List.of(greedy(PROMPTS.get(0), 16), greedy(PROMPTS.get(1), 16));
        List<Generation> a = batched.generate(r);
        List<Generation> b = batched.generate(r);
        for (int i = 0; i < r.size(); i++) assertArrayEquals(a.get(i).tokenIds(), b.get(i).tokenIds());
    }

    @Test
    void samplingDependsOnTheSeedNotOnTheBatch() {
        GenerationRequest a = sampled(PROMPTS.get(0), 42);
        GenerationRequest b = sampled(PROMPTS.get(3), 7);
        GenerationRequest c = sampled(PROMPTS.get(1), 99);
        int[] alone = single.generate(List.of(a)).get(0).tokenIds();
        assertArrayEquals(alone, batched.generate(List.of(b, a, c)).get(1).tokenIds());
        assertArrayEquals(alone, batched.generate(List.of(c, c, b, a)).get(3).tokenIds());
        // Another seed gives another sample (a check that sampling is not secretly greedy).
        boolean differs = false;
        for (long seed = 1; seed <= 5 && !differs; seed++) {
            differs = !java.util.Arrays.equals(alone, single.generate(List.of(sampled(PROMPTS.get(0), 42 + seed))).get(0).tokenIds());
        }
        assertTrue(differs, "five other seeds all gave the same tokens");
    }

    @Test
    void greedyLogprobsEqualTeacherForcedScores() {
        for (String prompt : PROMPTS.subList(0, 3)) {
            Generation g = batched.generate(List.of(greedy(prompt, 10))).get(0);
            int[] p = batched.tokenizer().encode(prompt);
            int[] all = new int[p.length + g.tokenIds().length];
            System.arraycopy(p, 0, all, 0, p.length);
            System.arraycopy(g.tokenIds(), 0, all, p.length, g.tokenIds().length);
            float[] scored = batched.tokenLogprobs(List.of(all, p)).get(0);
            assertEquals(all.length - 1, scored.length);
            for (int k = 0; k < g.tokenIds().length; k++) {
                assertEquals(g.tokenLogprobs()[k], scored[p.length - 1 + k], 1e-3, "token " + k + " of " + prompt);
                assertTrue(g.tokenLogprobs()[k] <= 0);
            }
        }
    }

    @Test
    void scoringBatchesEqualsOneByOneAndHandlesBos() {
        List<String> texts = List.of("hello there", "你好", "x", "a much longer text to score, with padding for the others");
        List<float[]> together = batched.textLogprobs(texts, true);
        for (int i = 0; i < texts.size(); i++) {
            float[] alone = single.textLogprobs(List.of(texts.get(i)), true).get(0);
            assertEquals(batched.countTokens(texts.get(i)), alone.length, "with BOS every text token is scored");
            assertArrayEquals(alone, together.get(i), 1e-4f);
        }
        assertEquals(batched.countTokens("hello there") - 1, batched.textLogprobs(List.of("hello there"), false).get(0).length);
    }

    @Test
    void f16RunsTheSameModelWithinHalfPrecision() {
        // CUDA's default dtype is F16; here it runs on the CPU's (slow but complete) F16 kernels.
        List<String> texts = List.of("hello there", "你好，世界");
        try (DjlGenerator f16 = DjlGenerator.open(gqaBf16, DjlGenerator.Options.defaults().withDtype("f16").withMaxBatch(2))) {
            List<float[]> half = f16.textLogprobs(texts, true);
            List<float[]> full = batched.textLogprobs(texts, true);
            for (int i = 0; i < texts.size(); i++) assertArrayEquals(full.get(i), half.get(i), 0.05f);
            Generation g = f16.generate(List.of(greedy(PROMPTS.get(0), 4))).get(0);
            assertTrue(g.generatedTokens() >= 1);
        }
    }

    @Test
    void stopTokenIdsAndStopStringsEndWithStop() {
        Generation free = single.generate(List.of(greedy(PROMPTS.get(3), 20))).get(0);
        assertTrue(free.generatedTokens() >= 6, "need a longer free run for this test: " + free.generatedTokens());
        // Stop id: the 4th generated token; generation ends at its first occurrence, token kept in ids.
        int stopId = free.tokenIds()[3];
        int first = 0;
        while (free.tokenIds()[first] != stopId) first++;
        SamplingParams withStopId = new SamplingParams(0, 1, 0, 1, 20, List.of(), List.of(stopId));
        Generation s = single.generate(List.of(new GenerationRequest(PROMPTS.get(3), withStopId, 0))).get(0);
        assertEquals(FinishReason.STOP, s.finishReason());
        assertArrayEquals(java.util.Arrays.copyOf(free.tokenIds(), first + 1), s.tokenIds());
        assertEquals(single.tokenizer().decodeSkippingSpecial(java.util.Arrays.copyOf(free.tokenIds(), first)), s.text());
        // Stop string: a piece of the free text; the result is the text before its first occurrence.
        String text = free.text();
        assertTrue(text.length() >= 4, text);
        String stop = text.substring(text.length() / 2, text.length() / 2 + 2);
        SamplingParams withStopString = new SamplingParams(0, 1, 0, 1, 20, List.of("never appears \u0000", stop), List.of());
        Generation t = single.generate(List.of(new GenerationRequest(PROMPTS.get(3), withStopString, 0))).get(0);
        assertEquals(FinishReason.STOP, t.finishReason());
        assertEquals(text.substring(0, text.indexOf(stop)), t.text());
    }

    @Test
    void lengthEndsAtMaxTokensOrAtTheContext() {
        for (String prompt : PROMPTS) {
            Generation g = single.generate(List.of(greedy(prompt, 3))).get(0);
            int last = g.tokenIds()[g.generatedTokens() - 1];
            if (g.finishReason() == FinishReason.LENGTH) assertEquals(3, g.generatedTokens());
            else assertTrue(single.endTokens().contains(last), "STOP only at an end token");
        }
        try (DjlGenerator small = DjlGenerator.open(gqaBf16, DjlGenerator.Options.defaults().withMaxContext(32))) {
            String prompt = PROMPTS.get(0);
            int n = small.countTokens(prompt);
            assertTrue(n < 32, "prompt of " + n + " tokens");
            Generation c = small.generate(List.of(greedy(prompt, 100))).get(0);
            assertEquals(FinishReason.LENGTH, c.finishReason(), "this prompt runs into the context");
            assertEquals(32 - n, c.generatedTokens());
            // A prompt over the context fails alone; the rest of the batch runs.
            List<Generation> mixed = small.generate(List.of(greedy("ok", 1), greedy(PROMPTS.get(3) + PROMPTS.get(3), 5)));
            assertFalse(mixed.get(0).isFailure());
            assertEquals(1, mixed.get(0).generatedTokens());
            assertTrue(mixed.get(1).isFailure());
            assertEquals("prompt_too_long", mixed.get(1).failure().reason());
            assertTrue(mixed.get(1).failure().message().startsWith("the prompt has"), mixed.get(1).failure().message());
        }
    }

    @Test
    void theKvCacheHoldsExactlyThePositionsWritten() {
        // A decode step writes its one position and zeroes nothing ahead, so what the cache holds is
        // prompt + generated - 1 positions (the last token's keys are never needed).
        Path untied = TinyCheckpoint.builder().seed(12).write(tmp.resolve("untied"));
        try (DjlGenerator g = DjlGenerator.open(untied, DjlGenerator.Options.defaults().withMaxBatch(1))) {
            assertEquals(0, g.kvCacheBytesHeld());
            Generation out = g.generate(List.of(greedy(PROMPTS.get(1), 37))).get(0);
            LlamaConfig c = g.config();
            long perPosition = 2L * c.layers() * c.kvDim() * 4;
            assertEquals((out.promptTokens() + out.generatedTokens() - 1) * perPosition, g.kvCacheBytesHeld(),
                    out.promptTokens() + " prompt tokens, " + out.generatedTokens() + " generated");
        }
    }
}
