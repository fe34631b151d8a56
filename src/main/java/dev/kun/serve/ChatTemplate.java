package dev.kun.serve;

import dev.kun.error.KunException;
import dev.kun.model.checkpoint.HubCache;
import dev.kun.prompt.JinjaChatTemplate;
import dev.kun.record.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How {@code /v1/chat/completions} turns messages into the prompt the model completes: the checkpoint's
 * own chat template, rendered as Hugging Face's {@code apply_chat_template(messages,
 * add_generation_prompt=True)} renders it ({@link JinjaChatTemplate}, which the stages' {@code
 * --chat-template model} uses too). A template that refuses a conversation ({@code raise_exception},
 * e.g. roles that do not alternate) answers 400 with its message; a checkpoint without a template has
 * no chat endpoint, since a prompt in a guessed format would be answered, badly, without any sign of
 * the mistake.
 */
public interface ChatTemplate {

    /** The prompt for {@code messages}, ending where the assistant's answer begins. */
    String render(List<ChatMessage> messages);

    /** What {@link #of} found, for the server's start-up line: "the model's chat template", or why none. */
    default String describe() {
        return "the model's chat template";
    }

    /** A template that refuses every conversation with {@code reason} (a 400). */
    static ChatTemplate unavailable(String reason) {
        return new ChatTemplate() {
            @Override
            public String render(List<ChatMessage> messages) {
                throw ApiError.unsupported("messages", reason);
            }

            @Override
            public String describe() {
                return "unavailable: " + reason;
            }
        };
    }

    /**
     * The chat template of the checkpoint {@code model} (a folder, or a repository id in the Hugging Face
     * cache): its chat_template.jinja or tokenizer_config.json.
     */
    static ChatTemplate of(Path model) {
        Path dir;
        try {
            dir = HubCache.resolve(model);
        } catch (KunException e) {
            return unavailable("the model's files cannot be found: " + e.getMessage());
        }
        boolean none = !Files.isRegularFile(dir.resolve("chat_template.jinja"))
                && !(Files.isRegularFile(dir.resolve("tokenizer_config.json")) && hasTemplate(dir.resolve("tokenizer_config.json")));
        if (none) {
            return unavailable("the model has no chat template (neither chat_template.jinja nor a chat_template in"
                    + " tokenizer_config.json): use /v1/completions with a prompt in the model's format");
        }
        JinjaChatTemplate template;
        try {
            template = JinjaChatTemplate.load(dir);
        } catch (KunException e) {
            return unavailable("the model's chat template cannot be used: " + e.getMessage());
        }
        return messages -> {
            List<Map<String, String>> turns = new ArrayList<>(messages.size());
            for (ChatMessage m : messages) {
                Map<String, String> turn = new LinkedHashMap<>();
                turn.put("role", m.role());
                turn.put("content", m.content());
                turns.add(turn);
            }
            try {
                return template.render(turns, true);
            } catch (KunException e) {
                throw ApiError.invalid("messages", e.getMessage());
            }
        };
    }

    private static boolean hasTemplate(Path tokenizerConfig) {
        try {
            return !Json.MAPPER.readTree(tokenizerConfig.toFile()).path("chat_template").isMissingNode();
        } catch (IOException e) {
            return true; // unreadable: JinjaChatTemplate.load says why
        }
    }
}
