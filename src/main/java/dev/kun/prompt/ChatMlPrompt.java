package dev.kun.prompt;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The ChatML framing the original Kun scripts render: one user turn and the opening of the
 * assistant turn, with no system message and, as in the original, no newline after the role name
 * of the user turn.
 */
public final class ChatMlPrompt {
    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";
    public static final String USER_OPEN = IM_START + "user";
    public static final String ASSISTANT_OPEN = IM_END + "\n" + IM_START + "assistant\n";

    private ChatMlPrompt() {}

    /** {@code <|im_start|>user} + content + {@code <|im_end|>\n<|im_start|>assistant\n}. */
    public static String userTurn(String content) {
        return USER_OPEN + content + ASSISTANT_OPEN;
    }

    /** The content of a prompt made by {@link #userTurn}, or null when {@code prompt} is not one. */
    public static String contentOf(String prompt) {
        if (prompt.startsWith(USER_OPEN) && prompt.endsWith(ASSISTANT_OPEN)
                && prompt.length() >= USER_OPEN.length() + ASSISTANT_OPEN.length()) {
            return prompt.substring(USER_OPEN.length(), prompt.length() - ASSISTANT_OPEN.length());
        }
        return null;
    }

    /** A prompt text shipped in {@code src/main/resources/prompts/}, byte for byte (UTF-8). */
    public static String resource(String name) {
        try (InputStream in = ChatMlPrompt.class.getResourceAsStream("/prompts/" + name)) {
            if (in == null) {
                throw new IllegalStateException("prompt resource missing from the jar: " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
