package dev.kun.label;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.generate.FinishReason;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.PromptTask;
import dev.kun.generate.Provenance;
import dev.kun.generate.Tokenizer;
import dev.kun.pipeline.Outcome;
import dev.kun.prompt.ChatFormat;
import dev.kun.record.KunRecord;
import java.util.Map;

/**
 * METHOD.md step 2: the label model writes the instruction each document answers. The document's
 * prompt is the label template framed by the chat format; the generation, cut at the first stop string
 * and trimmed, becomes {@code instruction}, and the document moves to {@code output} (the method's field
 * names). An instruction that ran out of tokens ({@value #TRUNCATED}) or is empty ({@value #EMPTY}) is
 * rejected unless the config keeps it. {@code kun.label} says how it was made ({@link Provenance}).
 */
public final class LabelTask implements PromptTask {
    public static final String NAME = "label";
    public static final String TRUNCATED = "instruction_truncated";
    public static final String EMPTY = "instruction_empty";
    /** The rendered prompt, with {@code --keep-prompt}. */
    public static final String USE_PROMPT = "use_prompt";

    private final LabelConfig config;

    public LabelTask(LabelConfig config) {
        this.config = config;
    }

    public LabelConfig config() {
        return config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String fingerprint() {
        return "text_field=" + config.textField() + ";template=" + config.template().fingerprint() + ";chat="
                + config.chat().fingerprint() + ";keep_prompt=" + config.keepPrompt() + ";keep_truncated="
                + config.keepTruncated() + ";keep_empty=" + config.keepEmpty();
    }

    @Override
    public Prompt prompt(KunRecord record, Tokenizer tokenizer) {
        String document = record.string(config.textField());
        if (document == null) {
            return Prompt.refused(Outcome.badInput(record, "missing_field", "no string field \"" + config.textField() + "\""));
        }
        String message = config.template().render(Map.of("document", document, "output", document, "response", document));
        return Prompt.of(config.chat().render(message));
    }

    @Override
    public Outcome complete(KunRecord record, String prompt, Generation generation) {
        return complete(record, new GenerationRequest(prompt, null, 0), generation, false);
    }

    @Override
    public Outcome complete(KunRecord record, GenerationRequest request, Generation generation) {
        return complete(record, request, generation, true);
    }

    private Outcome complete(KunRecord record, GenerationRequest request, Generation generation, boolean known) {
        String document = record.string(config.textField());
        String cut = ChatFormat.cut(generation.text(), config.chat().stops());
        // Cut at a stop string, the instruction ended even if the token budget ran out after it.
        boolean truncated = generation.finishReason() == FinishReason.LENGTH && cut.length() == generation.text().length();
        String instruction = cut.strip();
        KunRecord out = record.without(config.textField())
                .with(KunRecord.INSTRUCTION, instruction)
                .with(KunRecord.OUTPUT, document);
        if (config.keepPrompt()) out = out.with(USE_PROMPT, request.prompt());
        ObjectNode made = config.provenance().describe(known ? request : null, generation);
        out = Provenance.attach(out, NAME, made);
        if (truncated && !config.keepTruncated()) return Outcome.dropped(out, TRUNCATED);
        if (instruction.isEmpty() && !config.keepEmpty()) return Outcome.dropped(out, EMPTY);
        return Outcome.kept(out);
    }
}
