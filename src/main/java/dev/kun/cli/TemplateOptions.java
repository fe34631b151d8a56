package dev.kun.cli;

import dev.kun.error.KunException;
import dev.kun.prompt.ChatFormat;
import dev.kun.prompt.JinjaChatTemplate;
import dev.kun.prompt.PromptTemplate;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The prompt of a model stage ({@code label}, {@code judge}, {@code polish}): the user message's template
 * and how it is framed. The defaults are the method's exact bytes in its ChatML framing, for the Kun
 * models; another label, point or answer model needs its own template or its own chat template.
 */
public final class TemplateOptions {

    @Option(names = "--prompt-template", paramLabel = "FILE",
            description = "The user message as a UTF-8 file with {document} / {instruction} placeholders (judge's Humpback"
                    + " rubric: {generated_instruction} and {response}); one final line end is dropped, every other byte"
                    + " is sent as written (default: the method's template for the stage).")
    Path promptTemplate;

    @Option(names = "--chat-template", paramLabel = "kun|vicuna|none|model",
            description = "How the message is framed: kun = the original's ChatML (<|im_start|>user + message +"
                    + " <|im_end|>\\n<|im_start|>assistant\\n); vicuna = FastChat vicuna_v1.1 (Humpback's reproduction);"
                    + " none = the message is the whole prompt (a base model, a Humpback backward model); model = the"
                    + " checkpoint's own chat_template from tokenizer_config.json (default: ${DEFAULT-VALUE}).")
    String chatTemplate = "kun";

    /** The template file's, or {@code builtin}; a bad file is a usage error. */
    public PromptTemplate template(PromptTemplate builtin) {
        return promptTemplate == null ? builtin : PromptTemplate.load(promptTemplate);
    }

    /** Checks {@code --chat-template}'s value without reading the model. */
    public void validate() {
        switch (chatTemplate) {
            case "kun", "vicuna", "none", "model" -> { }
            default -> throw KunException.usage("--chat-template must be kun, vicuna, none or model: '" + chatTemplate + "'");
        }
    }

    /**
     * The framing asked for; {@code model} reads the chat template of the checkpoint in {@code modelDir}
     * (null: none to read, a usage error for {@code model}).
     */
    public ChatFormat chat(Path modelDir) {
        validate();
        return switch (chatTemplate) {
            case "vicuna" -> ChatFormat.vicuna();
            case "none" -> ChatFormat.none();
            case "model" -> {
                if (modelDir == null) {
                    throw KunException.usage("--chat-template model reads the model's tokenizer_config.json: with --endpoint,"
                            + " give --tokenizer DIR or --model DIR");
                }
                yield JinjaChatTemplate.load(modelDir);
            }
            default -> ChatFormat.kun();
        };
    }

    /** Whether the framing comes from the checkpoint, so the model must be opened first. */
    public boolean fromModel() {
        return chatTemplate.equals("model");
    }
}
