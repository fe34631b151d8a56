package dev.kun.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.record.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How {@code /v1/chat/completions} turns messages into the prompt the model completes: the checkpoint's
 * own chat template, ending with the opening of the assistant's turn (Hugging Face's
 * {@code apply_chat_template(messages, add_generation_prompt=True)}).
 *
 * <p>{@link #of(Path)} reads the template from {@code chat_template.jinja} or
 * {@code tokenizer_config.json}. A ChatML template (Yi, Qwen and the Kun models all use one) is rendered
 * as ChatML; a checkpoint with no template, or with one in another format, has no chat endpoint: a
 * prompt in the wrong format would be answered, badly, without any sign of the mistake.
 */
public interface ChatTemplate {

    /** The prompt for {@code messages}, ending where the assistant's answer begins. */
    String render(List<ChatMessage> messages);

    /** ChatML: {@code <|im_start|>role\ncontent<|im_end|>\n} per message, then {@code <|im_start|>assistant\n}. */
    static ChatTemplate chatMl() {
        return messages -> {
            StringBuilder sb = new StringBuilder();
            for (ChatMessage m : messages) {
                sb.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
            }
            return sb.append("<|im_start|>assistant\n").toString();
        };
    }

    /** A template that refuses every conversation with {@code reason} (a 400 naming the endpoint's limit). */
    static ChatTemplate unavailable(String reason) {
        return messages -> {
            throw ApiError.unsupported("messages", reason);
        };
    }

    /** The chat template of the checkpoint in {@code dir}. */
    static ChatTemplate of(Path dir) {
        String template = source(dir);
        if (template == null) {
            return unavailable("the model has no chat template (neither chat_template.jinja nor a chat_template in"
                    + " tokenizer_config.json): use /v1/completions with a prompt in the model's format");
        }
        if (template.contains("<|im_start|>")) return chatMl();
        return unavailable("the model's chat template is not ChatML, the only format this server renders:"
                + " use /v1/completions with a prompt in the model's format");
    }

    /** The template text: chat_template.jinja, else tokenizer_config.json's chat_template (its "default"). */
    private static String source(Path dir) {
        try {
            Path jinja = dir.resolve("chat_template.jinja");
            if (Files.isRegularFile(jinja)) return Files.readString(jinja, StandardCharsets.UTF_8);
            Path config = dir.resolve("tokenizer_config.json");
            if (!Files.isRegularFile(config)) return null;
            JsonNode t = Json.MAPPER.readTree(Files.readString(config, StandardCharsets.UTF_8)).path("chat_template");
            if (t.isTextual()) return t.textValue();
            for (JsonNode named : t) {
                if (named.path("name").asText("").equals("default")) return named.path("template").asText(null);
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }
}
