package dev.kun.prompt;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The answer model's prompt (METHOD.md step 5): {@code <|im_start|>user 已知：\n} + document +
 * {@code ,请回答:} + instruction + {@code <|im_end|>\n<|im_start|>assistant\n}. The template is
 * {@code prompts/answer-prompt.txt}; polish truncates the instruction to fit its token budget.
 */
public final class AnswerPrompt {
    /** The user message, with {@code {document}} and {@code {instruction}}. */
    public static final PromptTemplate TEMPLATE =
            PromptTemplate.parse(ChatMlPrompt.resource("answer-prompt.txt"), "built-in answer");

    /** What the answer template fills, and what it must use. */
    public static final Set<String> FILLS = Set.of("document", "instruction", "response", "generated_instruction");
    public static final List<Set<String>> NEEDS =
            List.of(Set.of("document", "response"), Set.of("instruction", "generated_instruction"));

    private AnswerPrompt() {}

    /** The full prompt for {@code document} and {@code instruction}. */
    public static String render(String document, String instruction) {
        return ChatMlPrompt.userTurn(TEMPLATE.render(Map.of("document", document, "instruction", instruction)));
    }
}
