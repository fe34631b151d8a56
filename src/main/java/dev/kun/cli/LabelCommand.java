package dev.kun.cli;

import dev.kun.backend.Backends;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.PromptStage;
import dev.kun.generate.Provenance;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.TextGenerator;
import dev.kun.label.LabelConfig;
import dev.kun.label.LabelTask;
import dev.kun.pipeline.StageRunner;
import dev.kun.record.KunRecord;
import dev.kun.run.Step;
import dev.kun.prompt.ChatFormat;
import dev.kun.prompt.LabelPrompt;
import dev.kun.prompt.PromptTemplate;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kun label}: the label model writes the instruction each document answers (METHOD.md step 2).
 * The generation, cut at the first stop string and trimmed, becomes {@code instruction}; the document
 * becomes {@code output}; {@code kun.label} says how it was made.
 */
@Command(
        name = "label",
        mixinStandardHelpOptions = true,
        description = {
            "Write the instruction each document answers with the label model (METHOD.md step 2). Each record's"
                    + " document (--text-field) is rendered into the method's label prompt (or --prompt-template,"
                    + " --chat-template), the generation is cut at the first stop string (<|im_end|>, <|endoftext|>,"
                    + " </s>), trimmed and written to `instruction`; the document moves to `output`, and"
                    + " `kun.label` records the model, sampling, seed, finish reason and token counts.",
            "Rejects: instruction_truncated (the generation ran out of tokens), instruction_empty,"
                    + " prompt_too_long (the prompt does not fit the model's context; nothing is generated)."
        })
public final class LabelCommand implements Callable<Integer> {

    @Mixin IoOptions io;

    @Mixin InputFormatOptions inputFormat;

    @Mixin SamplingOptions sampling;

    @Mixin BackendOptions backend;

    @Mixin TemplateOptions templates;

    @Option(names = "--text-field", paramLabel = "NAME",
            description = "Field holding the document; plain-text input lands in it (default: ${DEFAULT-VALUE}, as seed writes it).")
    String textField = "text";

    @Option(names = "--keep-prompt", description = "Write the rendered prompt as `use_prompt`, as the original does.")
    boolean keepPrompt;

    @Option(names = "--keep-truncated", description = "Keep an instruction whose generation ran out of tokens instead of rejecting it.")
    boolean keepTruncated;

    @Option(names = "--keep-empty", description = "Keep an instruction that is empty once trimmed instead of rejecting it.")
    boolean keepEmpty;

    private final Function<BackendSpec, TextGenerator> opener;

    public LabelCommand() {
        this(Backends::openGenerator);
    }

    /** A command whose backend comes from {@code opener} (tests substitute a fake). */
    LabelCommand(Function<BackendSpec, TextGenerator> opener) {
        this.opener = opener;
    }

    @Override
    public Integer call() {
        BackendSpec spec = backend.spec();
        Function<TextGenerator, PromptStage> stage = stageOn(spec);
        try (TextGenerator generator = opener.apply(spec)) {
            return new StageRunner(io.runConfig(inputFormat, null)).plainTextField(textField).run(stage.apply(generator));
        }
    }

    /** This command's stage as the label stage of {@code kun run}, on the run's shared model. */
    Step runStep() {
        BackendSpec spec = backend.spec();
        Function<TextGenerator, PromptStage> stage = stageOn(spec);
        return Step.model("label", spec, KunRecord.INSTRUCTION, model -> stage.apply(model.generator()));
    }

    /**
     * Checks every option now, before the model loads (minutes for a real one), and says how to build the
     * stage once it has.
     */
    private Function<TextGenerator, PromptStage> stageOn(BackendSpec spec) {
        if (textField.isEmpty()) throw dev.kun.error.KunException.usage("--text-field must not be empty");
        PromptTemplate template = templates.template(LabelPrompt.TEMPLATE).check("label", LabelPrompt.FILLS, LabelPrompt.NEEDS);
        templates.validate();
        sampling.toParams();
        return generator -> {
            ChatFormat chat = templates.chat(spec.modelFiles());
            LabelConfig config = new LabelConfig(textField, template, chat, keepPrompt, keepTruncated, keepEmpty,
                    Provenance.of(BackendOptions.modelName(spec, generator.servedModel()), generator.fingerprint()));
            SamplingParams params = sampling.toParams(config.defaultSampling());
            // Several batches' worth per call keeps every slot busy while sequences finish.
            return new PromptStage(generator, new LabelTask(config), params, sampling.seed(), 4 * spec.slots());
        };
    }
}
