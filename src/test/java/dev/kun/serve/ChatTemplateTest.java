package dev.kun.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chat endpoint's prompts come from the checkpoint's own template, whatever its format. */
class ChatTemplateTest {
    @TempDir Path dir;

    private static final List<ChatMessage> CHAT = List.of(new ChatMessage("system", "be brief"), new ChatMessage("user", "hi"),
            new ChatMessage("assistant", "hello"), new ChatMessage("user", "again"));

    @Test
    void theCheckpointsChatMlTemplate() {
        Path model = TinyCheckpoint.builder().write(dir.resolve("tiny"));
        assertEquals("<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n"
                + "<|im_start|>user\nagain<|im_end|>\n<|im_start|>assistant\n", ChatTemplate.of(model).render(CHAT));
    }

    @Test
    void anyOtherTemplateTooWithTheSpecialTokensAndItsOwnRefusals() throws Exception {
        Path model = TinyCheckpoint.builder().write(dir.resolve("llama2-style"));
        // A Llama-2-like template: BOS, [INST] turns, no system role (it raises, as such templates do).
        Files.writeString(model.resolve("chat_template.jinja"), "{% for m in messages %}"
                + "{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"
                + "{% if m['role'] == 'user' %}{{ bos_token + '[INST] ' + m['content'].strip() + ' [/INST]' }}"
                + "{% else %}{{ ' ' + m['content'] + ' ' + eos_token }}{% endif %}{% endfor %}");
        ChatTemplate t = ChatTemplate.of(model);
        assertEquals("<|startoftext|>[INST] hi [/INST] hello <|endoftext|><|startoftext|>[INST] again [/INST]",
                t.render(CHAT.subList(1, 4)));
        ApiError refused = assertThrows(ApiError.class, () -> t.render(CHAT));
        assertEquals(400, refused.status);
        assertEquals("messages", refused.param);
        assertTrue(refused.getMessage().contains("System role not supported"), refused.getMessage());
    }

    @Test
    void noTemplateNoChat() throws Exception {
        Path model = TinyCheckpoint.builder().write(dir.resolve("base"));
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"bos_token\": \"<|startoftext|>\"}");
        ChatTemplate t = ChatTemplate.of(model);
        ApiError refused = assertThrows(ApiError.class, () -> t.render(CHAT));
        assertEquals(400, refused.status);
        assertTrue(refused.getMessage().contains("no chat template"), refused.getMessage());
        assertTrue(t.describe().startsWith("unavailable"), t.describe());
    }
}
