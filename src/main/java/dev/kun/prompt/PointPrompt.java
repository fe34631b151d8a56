package dev.kun.prompt;

import java.util.List;
import java.util.Set;

/**
 * The point model's prompt (METHOD.md step 4), on the instruction alone: {@code <|im_start|>user} +
 * POINT_PROMPT + {@code \n指令: 【} + instruction + {@code 】 回复：} + {@code <|im_end|>\n<|im_start|>assistant\n},
 * POINT_PROMPT being the exact bytes of {@code prompts/point-prompt.txt} (two U+200B and literal newlines
 * inside its examples included). The model answers 【好】 or 【差】.
 */
public final class PointPrompt {
    /** The rubric and its judged examples, byte for byte. */
    public static final String TEXT = ChatMlPrompt.resource("point-prompt.txt");

    /** The user message, with {@code {instruction}}. */
    public static final PromptTemplate TEMPLATE = PromptTemplate.parse(TEXT + "\n指令: 【{instruction}】 回复：", "built-in point");

    /** What the point template fills, and what it must use. */
    public static final Set<String> FILLS = Set.of("instruction", "generated_instruction", "output", "response");
    public static final List<Set<String>> NEEDS = List.of(Set.of("instruction", "generated_instruction"));

    /** Where the verdict token comes, once the assistant's answer has begun: after the opening bracket. */
    public static final String VERDICT_LEAD = "【";

    private PointPrompt() {}

    /** The full prompt for {@code instruction}. */
    public static String render(String instruction) {
        return ChatMlPrompt.userTurn(TEMPLATE.render(java.util.Map.of("instruction", instruction)));
    }
}
