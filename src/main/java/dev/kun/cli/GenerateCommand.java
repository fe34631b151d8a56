package dev.kun.cli;

import dev.kun.error.KunException;
import dev.kun.backend.Backends;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.GenerateStage;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.TextGenerator;
import dev.kun.pipeline.StageRunner;
import dev.kun.record.SplitMode;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kun generate}: completes prompts with a model (in-process or on OpenAI-compatible servers), on the same runner, I/O options and resume as
 * every stage. Input: JSONL records with a {@code prompt} field, or plain text with one prompt per
 * line. Output: each record plus {@code generation}, {@code prompt_tokens}, {@code generated_tokens}
 * and {@code finish_reason}.
 */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = {
            "Complete prompts with a model, in-process (--model) or on OpenAI-compatible servers (--endpoint). Input: JSONL records with a `prompt` field (see"
                    + " --prompt-field) or plain text, one prompt per line (*.txt; --split changes that). Output:"
                    + " each record plus `generation`, `prompt_tokens`, `generated_tokens` and `finish_reason`"
                    + " (stop or length).",
            "Each record samples with a seed derived from --seed and its `id` (or, without an id, its prompt"
                    + " text), so it draws the same random numbers whatever its batch; a resume with the same"
                    + " arguments is byte-identical. The prompt is sent as is: apply a chat template yourself if the"
                    + " model needs one."
        })
public final class GenerateCommand implements Callable<Integer> {

    @Mixin IoOptions io;

    @Mixin InputFormatOptions inputFormat = oneRecordPerLine();

    @Mixin SamplingOptions sampling;

    @Mixin BackendOptions backend;

    @Option(names = "--prompt-field", paramLabel = "NAME",
            description = "Field holding the prompt; plain-text input lands in it too (default: ${DEFAULT-VALUE}).")
    String promptField = "prompt";

    private final Function<BackendSpec, TextGenerator> opener;

    public GenerateCommand() {
        this(Backends::openGenerator);
    }

    /** A command whose backend comes from {@code opener} (tests substitute a fake). */
    GenerateCommand(Function<BackendSpec, TextGenerator> opener) {
        this.opener = opener;
    }

    private static InputFormatOptions oneRecordPerLine() {
        InputFormatOptions options = new InputFormatOptions();
        options.split = SplitMode.LINE;
        return options;
    }

    @Override
    public Integer call() {
        SamplingParams params = sampling.toParams();
        BackendSpec spec = backend.spec();
        if (promptField.isEmpty()) throw KunException.usage("--prompt-field must not be empty");
        try (TextGenerator generator = opener.apply(spec);
                GenerateStage stage = new GenerateStage(generator, params, sampling.seed(), promptField,
                        // Several batches' worth per call keeps every slot busy while sequences finish.
                        4 * spec.slots())) {
            return new StageRunner(io.runConfig(inputFormat, null)).plainTextField(promptField).run(stage);
        }
    }
}
