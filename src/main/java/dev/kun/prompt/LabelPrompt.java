package dev.kun.prompt;

/**
 * The label model's prompt (METHOD.md): {@code <|im_start|>user} + LABEL_PROMPT + {@code \n} +
 * document + {@code <|im_end|>\n<|im_start|>assistant\n}, LABEL_PROMPT being the exact bytes of
 * {@code prompts/label-prompt.txt}. Used to label documents and, inverted, to train the label model.
 */
public final class LabelPrompt {
    /** The instruction text before the document ("请直接告诉我，以下回复最有可能对应的指令是什么："). */
    public static final String TEXT = ChatMlPrompt.resource("label-prompt.txt");

    /** The user message, with {@code {document}}: LABEL_PROMPT, a newline, the document. */
    public static final PromptTemplate TEMPLATE = PromptTemplate.parse(TEXT + "\n{document}", "built-in label");

    /** What the label template fills, and what it must use. */
    public static final java.util.Set<String> FILLS = java.util.Set.of("document", "output", "response");
    public static final java.util.List<java.util.Set<String>> NEEDS = java.util.List.of(FILLS);

    private LabelPrompt() {}

    /** The full prompt for {@code document}. */
    public static String render(String document) {
        return ChatMlPrompt.userTurn(userContent(document));
    }

    /** The user turn's content alone, for chat-format training data whose trainer adds the framing. */
    public static String userContent(String document) {
        return TEXT + "\n" + document;
    }

    /** The document inside a rendered label prompt, or null when {@code prompt} is not one. */
    public static String documentOf(String prompt) {
        String content = ChatMlPrompt.contentOf(prompt);
        return content == null ? null : documentOfContent(content);
    }

    /** The document inside a user content made by {@link #userContent}, or null. */
    public static String documentOfContent(String content) {
        String head = TEXT + "\n";
        return content.startsWith(head) ? content.substring(head.length()) : null;
    }
}
