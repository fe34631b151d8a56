package dev.kun.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.generate.EndpointSpec;
import dev.kun.prompt.ChatMlPrompt;

/**
 * Which route a prompt goes to. {@code completions} sends the exact prompt bytes kun rendered;
 * {@code chat} is for servers that serve only chat, and sends the prompt as one user message (the
 * content of a single ChatML user turn when the prompt is one, so the server's chat template frames it
 * instead of wrapping kun's framing a second time).
 */
enum EndpointApi {
    COMPLETIONS("/completions"),
    CHAT("/chat/completions");

    /** The route below the base URL (which ends in /v1). */
    final String path;

    EndpointApi(String path) {
        this.path = path;
    }

    static EndpointApi parse(String name) {
        if (EndpointSpec.COMPLETIONS.equals(name)) return COMPLETIONS;
        if (EndpointSpec.CHAT.equals(name)) return CHAT;
        return null;
    }

    String wireName() {
        return this == COMPLETIONS ? EndpointSpec.COMPLETIONS : EndpointSpec.CHAT;
    }

    /** Puts the prompt into {@code body}: {@code prompt}, or {@code messages} with one user message. */
    void putPrompt(ObjectNode body, String prompt) {
        if (this == COMPLETIONS) {
            body.put("prompt", prompt);
            return;
        }
        String content = ChatMlPrompt.contentOf(prompt);
        if (content == null) {
            content = prompt;
        } else if (content.startsWith(" ") || content.startsWith("\n")) {
            // The original's "<|im_start|>user 已知：" separates role and content with one space; the
            // server's template puts its own separator there.
            content = content.substring(1);
        }
        body.putArray("messages").addObject().put("role", "user").put("content", content);
    }

    /** The generated text of one choice; null when the choice has none. */
    String text(JsonNode choice) {
        JsonNode text = this == COMPLETIONS ? choice.get("text") : choice.path("message").get("content");
        return text == null || !text.isTextual() ? null : text.textValue();
    }
}
