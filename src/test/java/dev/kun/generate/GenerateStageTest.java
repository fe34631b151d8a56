package dev.kun.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.pipeline.Outcome;
import dev.kun.record.Json;
import dev.kun.record.KunRecord;
import dev.kun.testing.FakeGenerator;
import dev.kun.testing.ForwardingGenerator;
import java.util.List;
import org.junit.jupiter.api.Test;

class GenerateStageTest {

    private static KunRecord record(String json) throws Exception {
        return new KunRecord((ObjectNode) Json.MAPPER.readTree(json));
    }

    private static GenerateStage stage(FakeGenerator g, SamplingParams p, long seed) {
        return new GenerateStage(g.limits(101, "fake"), p, seed, "prompt", 8);
    }

    @Test
    void addsGenerationTokenCountsAndFinishReasonAfterTheInputFields() throws Exception {
        FakeGenerator g = new FakeGenerator();
        SamplingParams p = new SamplingParams(0.7, 1, 0, 1, 100, List.of(), List.of());
        List<Outcome> out = stage(g, p, 5).process(List.of(record("{\"id\":\"a\",\"prompt\":\"你好😀\",\"x\":1}")));
        assertEquals(1, out.size());
        Outcome o = out.get(0);
        assertTrue(o.isKept());
        long seed = Seeds.forRecord(5, "a");
        String text = "你好😀|" + seed + "|0.7";
        assertEquals("{\"id\":\"a\",\"prompt\":\"你好😀\",\"x\":1,\"generation\":\"" + text
                + "\",\"prompt_tokens\":3,\"generated_tokens\":" + text.codePointCount(0, text.length())
                + ",\"finish_reason\":\"stop\"}", o.record().toString());
        assertEquals(3, o.tokensIn());
        assertEquals(text.codePointCount(0, text.length()), o.tokensOut());
    }

    /** The fake, with every stream call logged: "submit a b", "drain", "close". */
    private static final class LoggedStreams extends ForwardingGenerator {
        final List<String> log = new java.util.ArrayList<>();

        LoggedStreams() {
            super(new FakeGenerator().limits(101, "fake"));
        }

        @Override
        public GenerationStream stream(int window) {
            assertEquals(2, window, "this batch and the next");
            GenerationStream inner = super.stream(window);
            return new GenerationStream() {
                @Override
                public List<java.util.concurrent.CompletableFuture<Generation>> submit(List<GenerationRequest> group) {
                    log.add("submit" + group.stream().map(r -> " " + r.prompt()).reduce("", String::concat));
                    return inner.submit(group);
                }

                @Override
                public void drain() {
                    log.add("drain");
                }

                @Override
                public void close() {
                    log.add("close");
                }
            };
        }
    }

    @Test
    void theNextBatchIsSubmittedBeforeThisOneIsAwaitedAndTheLastOneDrains() throws Exception {
        LoggedStreams g = new LoggedStreams();
        GenerateStage stage = new GenerateStage(g, SamplingParams.greedy(50), 0, "prompt", 2);
        assertTrue(stage.readsAhead());
        List<KunRecord> first = List.of(record("{\"prompt\":\"a\"}"), record("{\"prompt\":\"\"}"));
        List<KunRecord> second = List.of(record("{\"prompt\":\"c\"}"), record("{\"prompt\":\"d\"}"));
        List<KunRecord> third = List.of(record("{\"prompt\":\"e\"}"));
        stage.ahead(second);
        List<Outcome> one = stage.process(first);
        assertEquals(List.of("submit a", "submit c d"), g.log, "the empty prompt never reaches the backend");
        assertTrue(one.get(0).record().string("generation").startsWith("a|"));
        assertEquals("empty_prompt", one.get(1).dropReason());
        List<Outcome> two = stage.process(second);
        assertEquals(List.of("submit a", "submit c d", "drain"), g.log, "no batch handed over: nothing follows");
        assertTrue(two.get(1).record().string("generation").startsWith("d|"));
        // Without ahead (a checkpoint came), a batch goes in alone and drains.
        assertTrue(stage.process(third).get(0).record().string("generation").startsWith("e|"));
        assertEquals(List.of("submit a", "submit c d", "drain", "submit e", "drain"), g.log);
        stage.close();
        assertEquals("close", g.log.get(g.log.size() - 1));
    }

    @Test
    void lengthLimitedGenerationSaysLength() throws Exception {
        FakeGenerator g = new FakeGenerator();
        SamplingParams p = new SamplingParams(0, 1, 0, 1, 4, List.of(), List.of());
        Outcome o = stage(g, p, 0).process(List.of(record("{\"prompt\":\"abcdef\"}"))).get(0);
        assertEquals("length", o.record().string("finish_reason"));
        assertEquals("abcd", o.record().string("generation"));
    }

    @Test
    void missingEmptyOrNonTextPromptIsBadInputAndNotSent() throws Exception {
        FakeGenerator g = new FakeGenerator();
        List<Outcome> out = stage(g, SamplingParams.kun(), 0).process(List.of(
                record("{\"text\":\"no prompt\"}"),
                record("{\"prompt\":\"\"}"),
                record("{\"prompt\":42}"),
                record("{\"prompt\":\"ok\"}")));
        assertEquals("missing_field", out.get(0).dropReason());
        assertTrue(out.get(0).isBadInput());
        assertEquals("empty_prompt", out.get(1).dropReason());
        assertEquals("missing_field", out.get(2).dropReason());
        assertTrue(out.get(3).isKept());
        assertEquals(1, g.requests.size());
        assertEquals("ok", g.requests.get(0).prompt());
    }

    @Test
    void promptLongerThanTheContextIsBadInputOfItsOwnRecord() throws Exception {
        FakeGenerator g = new FakeGenerator();
        List<Outcome> out = new GenerateStage(g.limits(6, "fake"), SamplingParams.kun(), 0, "prompt", 8).process(List.of(
                record("{\"prompt\":\"12345\"}"), record("{\"prompt\":\"123456\"}"), record("{\"prompt\":\"😀😀\"}")));
        assertTrue(out.get(0).isKept());
        assertEquals("prompt_too_long", out.get(1).dropReason());
        assertTrue(out.get(1).badInputMessage().contains("6 tokens"), out.get(1).badInputMessage());
        assertTrue(out.get(2).isKept());
        assertEquals(List.of("12345", "😀😀"), g.requests.stream().map(GenerationRequest::prompt).toList());
    }

    @Test
    void seedComesFromTheRunSeedAndTheIdOrElseThePrompt() throws Exception {
        FakeGenerator g = new FakeGenerator();
        stage(g, SamplingParams.kun(), 9).process(List.of(
                record("{\"id\":\"r1\",\"prompt\":\"p\"}"),
                record("{\"id\":17,\"prompt\":\"p\"}"),
                record("{\"prompt\":\"p\"}"),
                record("{\"id\":null,\"prompt\":\"q\"}")));
        assertEquals(Seeds.forRecord(9, "r1"), g.requests.get(0).seed());
        assertEquals(Seeds.forRecord(9, "17"), g.requests.get(1).seed());
        assertEquals(Seeds.forRecord(9, "p"), g.requests.get(2).seed());
        assertEquals(Seeds.forRecord(9, "q"), g.requests.get(3).seed());
        FakeGenerator other = new FakeGenerator();
        stage(other, SamplingParams.kun(), 10).process(List.of(record("{\"id\":\"r1\",\"prompt\":\"p\"}")));
        assertNotEquals(g.requests.get(0).seed(), other.requests.get(0).seed());
    }

    @Test
    void fingerprintChangesWithEverySettingThatChangesOutput() {
        FakeGenerator g = new FakeGenerator();
        SamplingParams base = SamplingParams.kun();
        String fp = new GenerateStage(g.limits(101, "m"), base, 1, "prompt", 8).fingerprint();
        assertEquals(fp, new GenerateStage(g.limits(101, "m"), base, 1, "prompt", 32).fingerprint(), "batch size does not change output");
        List<String> others = List.of(
                new GenerateStage(g.limits(101, "m"), base, 2, "prompt", 8).fingerprint(),
                new GenerateStage(g.limits(101, "m"), base, 1, "text", 8).fingerprint(),
                new GenerateStage(g.limits(101, "m2"), base, 1, "prompt", 8).fingerprint(),
                new GenerateStage(g.limits(101, "m"), new SamplingParams(0.6, 0.95, 0, 1.2, 1024, List.of(), List.of()), 1, "prompt", 8).fingerprint(),
                new GenerateStage(g.limits(101, "m"), new SamplingParams(0.5, 0.9, 0, 1.2, 1024, List.of(), List.of()), 1, "prompt", 8).fingerprint(),
                new GenerateStage(g.limits(101, "m"), new SamplingParams(0.5, 0.95, 5, 1.2, 1024, List.of(), List.of()), 1, "prompt", 8).fingerprint(),
                new GenerateStage(g.limits(101, "m"), new SamplingParams(0.5, 0.95, 0, 1.1, 1024, List.of(), List.of()), 1, "prompt", 8).fingerprint(),
                new GenerateStage(g.limits(101, "m"), new SamplingParams(0.5, 0.95, 0, 1.2, 10, List.of(), List.of()), 1, "prompt", 8).fingerprint(),
                new GenerateStage(g.limits(101, "m"), new SamplingParams(0.5, 0.95, 0, 1.2, 1024, List.of("x"), List.of()), 1, "prompt", 8).fingerprint());
        for (String o : others) assertNotEquals(fp, o);
        assertEquals(others.size(), others.stream().distinct().count());
        assertFalse(g.closed);
    }
}
