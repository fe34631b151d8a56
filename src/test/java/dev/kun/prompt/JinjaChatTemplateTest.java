package dev.kun.prompt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.record.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real chat templates of three model families, copied from their tokenizer_config.json (Qwen2-7B-Instruct,
 * Llama-2-7b-chat-hf, Mistral-7B-Instruct-v0.1, Meta-Llama-3-8B-Instruct, zephyr-7b-beta), rendered as
 * transformers' apply_chat_template renders them.
 */
class JinjaChatTemplateTest {
    @TempDir Path dir;

    static final String QWEN2 = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
            + "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + "
            + "message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\\n' }}{% endif %}";

    static final String LLAMA2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
            + "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
            + "{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user')"
            + " != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
            + "{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message"
            + " + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}"
            + "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    static final String MISTRAL = "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != "
            + "(loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
            + "{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
            + "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}"
            + "{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}";

    static final String LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
            + "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}"
            + "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

    /** Written over several lines: trim_blocks and lstrip_blocks decide its output. */
    static final String ZEPHYR = "{% for message in messages %}\n{% if message['role'] == 'user' %}\n"
            + "{{ '<|user|>\\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'system' %}\n"
            + "{{ '<|system|>\\n' + message['content'] + eos_token }}\n{% elif message['role'] == 'assistant' %}\n"
            + "{{ '<|assistant|>\\n'  + message['content'] + eos_token }}\n{% endif %}\n"
            + "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

    private static final Map<String, String> LLAMA_TOKENS = Map.of("bos_token", "<s>", "eos_token", "</s>", "unk_token", "<unk>");

    private static Map<String, String> turn(String role, String content) {
        return Map.of("role", role, "content", content);
    }

    @Test
    void chatMlFamilyQwen2() {
        JinjaChatTemplate t = JinjaChatTemplate.of(QWEN2, Map.of("eos_token", "<|endoftext|>"), "qwen2");
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n已知：{{ x }} {% if %}"
                + "<|im_end|>\n<|im_start|>assistant\n", t.render("已知：{{ x }} {% if %}"), "values are not rendered again");
        assertEquals("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n",
                t.render(List.of(turn("system", "S"), turn("user", "U")), false));
    }

    @Test
    void llama2FamilyWithSystemStripAndRaiseException() {
        JinjaChatTemplate llama2 = JinjaChatTemplate.of(LLAMA2, LLAMA_TOKENS, "llama2");
        assertEquals("<s>[INST] 你好 [/INST]", llama2.render("  你好\n"));
        assertEquals("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nQ1 [/INST] A1 </s><s>[INST] Q2 [/INST]",
                llama2.render(List.of(turn("system", "Be brief."), turn("user", "Q1"), turn("assistant", " A1"),
                        turn("user", "Q2")), true));
        KunException e = assertThrows(KunException.class,
                () -> llama2.render(List.of(turn("user", "a"), turn("user", "b")), true));
        assertEquals(ExitCodes.USAGE, e.exitCode());
        assertTrue(e.getMessage().endsWith("Conversation roles must alternate user/assistant/user/assistant/..."), e.getMessage());

        JinjaChatTemplate mistral = JinjaChatTemplate.of(MISTRAL, LLAMA_TOKENS, "mistral");
        assertEquals("<s>[INST] 问 [/INST]", mistral.render("问"));
        assertEquals("<s>[INST] a [/INST]b</s>[INST] c [/INST]",
                mistral.render(List.of(turn("user", "a"), turn("assistant", "b"), turn("user", "c")), true));
        e = assertThrows(KunException.class, () -> mistral.render(List.of(turn("system", "s"), turn("user", "u")), true));
        assertTrue(e.getMessage().endsWith("Conversation roles must alternate user/assistant/user/assistant/..."), e.getMessage());
        assertEquals(List.of("<|im_end|>", "<|endoftext|>", "</s>"), mistral.stops());
    }

    @Test
    void llama3FiltersAndZephyrsBlockTrimming() {
        JinjaChatTemplate llama3 = JinjaChatTemplate.of(LLAMA3, Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"), "llama3");
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n你好<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", llama3.render(" 你好 "));
        assertTrue(llama3.stops().contains("<|eot_id|>"), "the template's own end of turn stops generation");
        JinjaChatTemplate zephyr = JinjaChatTemplate.of(ZEPHYR + "\n", Map.of("eos_token", "</s>"), "zephyr");
        assertEquals("<|user|>\nhi</s>\n<|assistant|>\n", zephyr.render("hi"));
        assertEquals("<|system|>\ns</s>\n<|user|>\nhi</s>\n", zephyr.render(List.of(turn("system", "s"), turn("user", "hi")), false));
    }

    @Test
    void pythonStringMethodsTemplatesCall() {
        JinjaChatTemplate t = JinjaChatTemplate.of("{% for m in messages %}[{{ m['content'].lstrip() }}|{{ m['content'].rstrip('!') }}|"
                + "{{ m['content'].startswith('  h') }}|{{ m['content'].upper() }}|{{ m['content'].split(',') | length }}|"
                + "{{ m['content'].replace('h', 'j') }}]{% endfor %}", Map.of(), "methods");
        assertEquals("[hi, there!!|  hi, there|true|  HI, THERE!!|2|  ji, tjere!!]", t.render("  hi, there!!"));
    }

    @Test
    void loadsFromTokenizerConfigWithAddedTokenObjectsOrFromChatTemplateJinja() throws Exception {
        var config = Json.MAPPER.createObjectNode();
        config.putObject("bos_token").put("content", "<s>").put("special", true);
        config.put("eos_token", "</s>");
        config.put("chat_template", MISTRAL);
        Files.writeString(dir.resolve("tokenizer_config.json"), config.toString(), StandardCharsets.UTF_8);
        assertEquals("<s>[INST] x [/INST]", JinjaChatTemplate.load(dir).render("x"));
        config.putArray("chat_template").addObject().put("name", "default").put("template", LLAMA2);
        Files.writeString(dir.resolve("tokenizer_config.json"), config.toString(), StandardCharsets.UTF_8);
        assertEquals("<s>[INST] x [/INST]", JinjaChatTemplate.load(dir).render(" x "));
        Files.writeString(dir.resolve("chat_template.jinja"), QWEN2 + "\n", StandardCharsets.UTF_8);
        assertTrue(JinjaChatTemplate.load(dir).render("x").startsWith("<|im_start|>system"));
        Files.delete(dir.resolve("chat_template.jinja"));
        config.remove("chat_template");
        Files.writeString(dir.resolve("tokenizer_config.json"), config.toString(), StandardCharsets.UTF_8);
        KunException e = assertThrows(KunException.class, () -> JinjaChatTemplate.load(dir));
        assertEquals(ExitCodes.USAGE, e.exitCode());
        assertTrue(e.getMessage().contains("no chat template"), e.getMessage());
    }
}
