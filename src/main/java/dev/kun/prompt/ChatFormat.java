package dev.kun.prompt;

import java.util.List;

/**
 * How a stage's message becomes the prompt text the model completes: the method's ChatML framing
 * ({@link #kun()}), none (the message is the whole prompt, for base models and Humpback's backward
 * model), FastChat's vicuna_v1.1 (Humpback's reproduction), or the checkpoint's own Jinja chat template
 * ({@link JinjaChatTemplate}). Chosen with {@code --chat-template}.
 */
public interface ChatFormat {

    /** Text that ends a generation in every format: ChatML's end tokens and {@code </s>}, where the original cuts. */
    List<String> METHOD_STOPS = List.of(ChatMlPrompt.IM_END, "<|endoftext|>", "</s>");

    /** FastChat's vicuna_v1.1 default system message, which Humpback's reproduction keeps. */
    String VICUNA_SYSTEM = "A chat between a curious user and an artificial intelligence assistant. The assistant gives"
            + " helpful, detailed, and polite answers to the user's questions.";

    /** The prompt for one user turn holding {@code message}, ending where the assistant's answer begins. */
    String render(String message);

    /** The option value that selects it ("kun", "none", "vicuna", "model"), for messages and provenance. */
    String id();

    /** Everything about it that changes prompts, for the resume check. */
    default String fingerprint() {
        return id();
    }

    /** Text that ends a generation: the method's, plus the format's own end of turn. */
    default List<String> stops() {
        return METHOD_STOPS;
    }

    /** The original's ChatML: {@code <|im_start|>user} + message + {@code <|im_end|>\n<|im_start|>assistant\n}. */
    static ChatFormat kun() {
        return Builtin.KUN;
    }

    /** The message as it is. */
    static ChatFormat none() {
        return Builtin.NONE;
    }

    /** FastChat vicuna_v1.1: system, space, {@code USER: } + message, space, {@code ASSISTANT:}. */
    static ChatFormat vicuna() {
        return Builtin.VICUNA;
    }

    /** The built-in formats. */
    enum Builtin implements ChatFormat {
        KUN {
            @Override
            public String render(String message) {
                return ChatMlPrompt.userTurn(message);
            }
        },
        NONE {
            @Override
            public String render(String message) {
                return message;
            }
        },
        VICUNA {
            @Override
            public String render(String message) {
                return VICUNA_SYSTEM + " USER: " + message + " ASSISTANT:";
            }
        };

        @Override
        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * {@code text} cut before the first stop string of {@code stops} (the whole text when none occurs): a
     * backend that does not stop on them, or a stop written out as text, leaves no turn marker behind.
     */
    static String cut(String text, List<String> stops) {
        int end = text.length();
        for (String stop : stops) {
            int at = text.indexOf(stop);
            if (at >= 0 && at < end) end = at;
        }
        return text.substring(0, end);
    }
}
