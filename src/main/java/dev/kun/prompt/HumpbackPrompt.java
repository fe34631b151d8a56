package dev.kun.prompt;

import java.util.List;
import java.util.Set;

/**
 * Humpback's self-curation prompt (arXiv:2308.06259; the exact bytes of its public reproduction, in
 * {@code prompts/humpback-curation-prompt.txt}): a 5-point rubric on an (instruction, answer) pair, ending
 * in {@code {generated_instruction}} and {@code {response}} on their own lines. The judge answers with
 * its reasoning and a last line {@code Score: N}. With a ChatML model it goes inside the ChatML user turn;
 * the reproduction framed it as vicuna_v1.1 ({@link ChatFormat#vicuna()}).
 */
public final class HumpbackPrompt {
    /** The rubric with its two placeholders. */
    public static final PromptTemplate TEMPLATE =
            PromptTemplate.parse(ChatMlPrompt.resource("humpback-curation-prompt.txt"), "built-in humpback");

    /** What the curation template fills, and what it must use. */
    public static final Set<String> FILLS = Set.of("instruction", "generated_instruction", "output", "response");
    public static final List<Set<String>> NEEDS =
            List.of(Set.of("instruction", "generated_instruction"), Set.of("output", "response"));

    /** Where the rating token comes when the judge is made to answer at once. */
    public static final String VERDICT_LEAD = "Score: ";

    private HumpbackPrompt() {}
}
