package dev.kun.prompt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.kun.testing.SharedDir;
import org.junit.jupiter.api.Test;

class LabelPromptTest {

    @Test
    void rendersTheMethodsTemplateByteForByte() {
        String document = "教育具有促进个体发展和社会发展的功能。";
        String expected = "<|im_start|>user请直接告诉我，以下回复最有可能对应的指令是什么：\n" + document
                + "<|im_end|>\n<|im_start|>assistant\n";
        assertArrayEquals(expected.getBytes(StandardCharsets.UTF_8),
                LabelPrompt.render(document).getBytes(StandardCharsets.UTF_8));
        assertEquals(document, LabelPrompt.documentOf(LabelPrompt.render(document)));
        assertEquals("", LabelPrompt.documentOf(LabelPrompt.render("")));
        assertNull(LabelPrompt.documentOf("<|im_start|>user something else<|im_end|>\n<|im_start|>assistant\n"));
    }

    @Test
    void matchesTheReferenceRenderedExample() throws Exception {
        Path examples = shared("kun-reference/rendered-examples.jsonl");
        ObjectMapper mapper = new ObjectMapper();
        int checked = 0;
        for (String line : Files.readAllLines(examples, StandardCharsets.UTF_8)) {
            JsonNode example = mapper.readTree(line);
            if (example.get("stage").asText().equals("label")) {
                String rendered = LabelPrompt.render(example.get("document").asText());
                assertArrayEquals(example.get("prompt").asText().getBytes(StandardCharsets.UTF_8),
                        rendered.getBytes(StandardCharsets.UTF_8));
                checked++;
            }
        }
        assertEquals(1, checked);
    }

    @Test
    void shippedLabelPromptEqualsTheReferenceFile() throws Exception {
        Path reference = shared("kun-reference/label-prompt.txt");
        assertArrayEquals(Files.readAllBytes(reference), LabelPrompt.TEXT.getBytes(StandardCharsets.UTF_8));
    }

    private static Path shared(String relative) {
        return SharedDir.require(relative);
    }
}
