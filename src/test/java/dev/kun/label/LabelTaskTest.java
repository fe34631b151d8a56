package dev.kun.label;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.generate.PromptStage;
import dev.kun.generate.Provenance;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.Seeds;
import dev.kun.pipeline.Outcome;
import dev.kun.prompt.ChatFormat;
import dev.kun.prompt.LabelPrompt;
import dev.kun.prompt.PromptTemplate;
import dev.kun.record.Json;
import dev.kun.record.KunRecord;
import dev.kun.testing.FakeGenerator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class LabelTaskTest {
    static final String DOC = "教育具有促进个体发展和社会发展的功能。";

    private static KunRecord record(String json) throws Exception {
        return new KunRecord((ObjectNode) Json.MAPPER.readTree(json));
    }

    /** Label with a fake model whose reply to every prompt is {@code reply}. */
    private static List<Outcome> label(LabelConfig config, Function<String, String> reply, KunRecord... records) {
        FakeGenerator g = new FakeGenerator().limits(4096, "fake-model").replying(r -> reply.apply(r.prompt()));
        PromptStage stage = new PromptStage(g, new LabelTask(config), config.defaultSampling(), 3, 8);
        return stage.process(List.of(records));
    }

    private static LabelConfig method() {
        return LabelConfig.method(Provenance.of("Kun-LabelModel", "fake-model"));
    }

    @Test
    void writesTheTrimmedInstructionAndMovesTheDocumentToOutputWithProvenance() throws Exception {
        Outcome o = label(method(), p -> "  教育具有哪些社会发展功能？\n<|im_end|>ignored",
                record("{\"id\":\"d1\",\"dataType\":\"news\",\"text\":\"" + DOC + "\"}")).get(0);
        assertTrue(o.isKept(), String.valueOf(o.dropReason()));
        long seed = Seeds.forRecord(3, "d1");
        String generated = "  教育具有哪些社会发展功能？\n";
        String expected = "{\"id\":\"d1\",\"dataType\":\"news\",\"instruction\":\"教育具有哪些社会发展功能？\",\"output\":\"" + DOC
                + "\",\"kun\":{\"label\":{\"model\":\"Kun-LabelModel\",\"model_fingerprint\":\""
                + Provenance.of("x", "fake-model").modelFingerprint() + "\",\"sampling\":{\"temperature\":0.5,\"top_p\":0.95,"
                + "\"top_k\":0,\"repetition_penalty\":1.2,\"max_tokens\":1024,\"stop\":[\"<|im_end|>\",\"<|endoftext|>\",\"</s>\"],"
                + "\"stop_token_ids\":[]},\"seed\":" + seed + ",\"finish_reason\":\"stop\",\"prompt_tokens\":"
                + LabelPrompt.render(DOC).codePointCount(0, LabelPrompt.render(DOC).length()) + ",\"generated_tokens\":"
                + (generated + "<|im_end|>ignored").codePointCount(0, (generated + "<|im_end|>ignored").length()) + "}}}";
        assertEquals(expected, o.record().toString());
        assertEquals(16, Provenance.of("x", "fake-model").modelFingerprint().length());
    }

    @Test
    void sendsTheMethodsPromptByteForByteAndKeepsItWhenAsked() throws Exception {
        LabelConfig keep = new LabelConfig("text", LabelPrompt.TEMPLATE, ChatFormat.kun(), true, false, false,
                Provenance.of("m", "f"));
        String[] seen = new String[1];
        Outcome o = label(keep, p -> {
            seen[0] = p;
            return "问";
        }, record("{\"text\":\"" + DOC + "\"}")).get(0);
        assertEquals(LabelPrompt.render(DOC), seen[0]);
        assertEquals(LabelPrompt.render(DOC), o.record().string("use_prompt"));
        assertEquals(List.of("instruction", "output", "use_prompt", "kun"), fieldNames(o.record()),
                "the original's order: instruction, output, use_prompt");
    }

    private static List<String> fieldNames(KunRecord r) {
        List<String> names = new java.util.ArrayList<>();
        r.json().fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void truncatedAndEmptyInstructionsAreRejectedUnlessKept() throws Exception {
        String longReply = "很".repeat(2000);
        KunRecord doc = record("{\"id\":\"a\",\"text\":\"文\"}");
        Outcome truncated = label(method(), p -> longReply, doc).get(0);
        assertEquals(LabelTask.TRUNCATED, truncated.dropReason());
        assertEquals("很".repeat(1024), truncated.record().string("instruction"), "the reject shows what was generated");
        assertEquals("length", truncated.record().json().at("/kun/label/finish_reason").asText());
        // A stop string inside the budget ends the instruction: not truncated, even though the budget ran out.
        assertTrue(label(method(), p -> "问题</s>" + longReply, doc).get(0).isKept());

        Outcome empty = label(method(), p -> " \n<|endoftext|>", doc).get(0);
        assertEquals(LabelTask.EMPTY, empty.dropReason());
        assertEquals("", empty.record().string("instruction"));

        LabelConfig lenient = new LabelConfig("text", LabelPrompt.TEMPLATE, ChatFormat.kun(), false, true, true, Provenance.of("m", "f"));
        assertTrue(label(lenient, p -> longReply, doc).get(0).isKept());
        assertTrue(label(lenient, p -> " ", doc).get(0).isKept());
    }

    @Test
    void aRecordWithoutTheDocumentIsBadInputAndNeverSent() throws Exception {
        FakeGenerator g = new FakeGenerator();
        LabelConfig config = new LabelConfig("body", LabelPrompt.TEMPLATE, ChatFormat.kun(), false, false, false, Provenance.of("m", "f"));
        List<Outcome> out = new PromptStage(g, new LabelTask(config), config.defaultSampling(), 0, 4)
                .process(List.of(record("{\"text\":\"x\"}"), record("{\"body\":7}"), record("{\"body\":\"正文\"}")));
        assertEquals("missing_field", out.get(0).dropReason());
        assertTrue(out.get(0).isBadInput());
        assertTrue(out.get(1).isBadInput());
        assertTrue(out.get(2).isKept());
        assertEquals("正文", out.get(2).record().string("output"));
        assertEquals(false, out.get(2).record().has("body"), "the document moved to output");
        assertEquals(1, g.requests.size());
    }

    @Test
    void aPromptOverTheContextIsRejectedBeforeAnyGeneration() throws Exception {
        FakeGenerator g = new FakeGenerator().limits(LabelPrompt.render("短").length() + 1, "small");
        LabelConfig config = method();
        List<Outcome> out = new PromptStage(g, new LabelTask(config), config.defaultSampling(), 0, 4)
                .process(List.of(record("{\"text\":\"短\"}"), record("{\"text\":\"" + "长".repeat(50) + "\"}")));
        assertTrue(out.get(0).isKept());
        assertEquals("prompt_too_long", out.get(1).dropReason());
        assertTrue(out.get(1).record().string("error").contains("tokens"));
        assertEquals(1, g.requests.size());
    }

    @Test
    void anotherTemplateAndFramingReachTheModelAndTheFingerprint() throws Exception {
        PromptTemplate backward = PromptTemplate.parse("This is a chat. RESPONSE: {response} INSTRUCTION:", "backward.txt");
        LabelConfig humpback = new LabelConfig("text", backward, ChatFormat.none(), false, false, false, Provenance.of("m", "f"));
        String[] seen = new String[1];
        label(humpback, p -> {
            seen[0] = p;
            return "Q";
        }, record("{\"text\":\"A {instruction}\"}"));
        assertEquals("This is a chat. RESPONSE: A {instruction} INSTRUCTION:", seen[0]);
        assertNotEquals(new LabelTask(method()).fingerprint(), new LabelTask(humpback).fingerprint());
        LabelConfig vicuna = new LabelConfig("text", backward, ChatFormat.vicuna(), false, false, false, Provenance.of("m", "f"));
        assertNotEquals(new LabelTask(humpback).fingerprint(), new LabelTask(vicuna).fingerprint());
        assertEquals(SamplingParams.kun().withStopStrings(ChatFormat.METHOD_STOPS), method().defaultSampling());
    }
}
