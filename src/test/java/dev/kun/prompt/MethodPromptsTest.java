package dev.kun.prompt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.record.Json;
import dev.kun.testing.SharedDir;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The method's three prompts and Humpback's rubric against the reference bytes in kun-reference/. */
class MethodPromptsTest {

    private static Map<String, JsonNode> examples() throws Exception {
        Path file = SharedDir.require("kun-reference/rendered-examples.jsonl");
        Map<String, JsonNode> byStage = new HashMap<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            JsonNode e = Json.MAPPER.readTree(line);
            byStage.put(e.get("stage").asText(), e);
        }
        assertEquals(Set.of("label", "point", "answer"), byStage.keySet());
        return byStage;
    }

    private static void assertSameBytes(String expected, String actual) {
        assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8), actual.getBytes(StandardCharsets.UTF_8),
                () -> "expected\n" + expected + "\nbut was\n" + actual);
    }

    @Test
    void everyStagesRenderingMatchesTheReferenceExample() throws Exception {
        Map<String, JsonNode> e = examples();
        JsonNode label = e.get("label");
        assertSameBytes(label.get("prompt").asText(), ChatFormat.kun().render(
                LabelPrompt.TEMPLATE.render(Map.of("document", label.get("document").asText()))));
        JsonNode point = e.get("point");
        assertSameBytes(point.get("prompt").asText(), PointPrompt.render(point.get("instruction").asText()));
        assertSameBytes(point.get("prompt").asText(), ChatFormat.kun().render(
                PointPrompt.TEMPLATE.render(Map.of("instruction", point.get("instruction").asText()))));
        JsonNode answer = e.get("answer");
        assertSameBytes(answer.get("prompt").asText(),
                AnswerPrompt.render(answer.get("document").asText(), answer.get("instruction").asText()));
    }

    @Test
    void shippedTextsEqualTheReferenceFiles() throws Exception {
        assertArrayEquals(Files.readAllBytes(SharedDir.require("kun-reference/point-prompt.txt")),
                PointPrompt.TEXT.getBytes(StandardCharsets.UTF_8));
        assertArrayEquals(Files.readAllBytes(SharedDir.require("kun-reference/humpback-curation-prompt.txt")),
                HumpbackPrompt.TEMPLATE.text().getBytes(StandardCharsets.UTF_8));
        assertEquals(2, PointPrompt.TEXT.chars().filter(c -> c == 0x200B).count(), "the two zero-width spaces");
    }

    @Test
    void humpbackFillsInstructionThenResponseOnTheLastTwoLines() {
        String rendered = HumpbackPrompt.TEMPLATE.render(Map.of("generated_instruction", "什么是{response}？",
                "response", "答案 {generated_instruction}"));
        assertEquals(Set.of("generated_instruction", "response"), HumpbackPrompt.TEMPLATE.placeholders());
        assertEquals(true, rendered.endsWith("\"Score: <rating>\" in the last line.\n\n什么是{response}？\n答案 {generated_instruction}"),
                "values are inserted once, never filled again: " + rendered);
        assertEquals("A chat between a curious user and an artificial intelligence assistant. The assistant gives helpful,"
                + " detailed, and polite answers to the user's questions. USER: 问 ASSISTANT:", ChatFormat.vicuna().render("问"));
    }

    @Test
    void cutStopsAtTheFirstStopString() {
        assertEquals("指令", ChatFormat.cut("指令<|im_end|>\n<|im_start|>user", ChatFormat.METHOD_STOPS));
        assertEquals("a", ChatFormat.cut("a</s>b<|endoftext|>", ChatFormat.METHOD_STOPS));
        assertEquals("plain", ChatFormat.cut("plain", ChatFormat.METHOD_STOPS));
    }
}
