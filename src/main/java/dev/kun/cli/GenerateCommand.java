package dev.kun.cli;

import dev.kun.error.KunException;
import dev.kun.generate.GenerateStage;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.TextGenerator;
import dev.kun.model.DjlGenerator;
import dev.kun.pipeline.StageRunner;
import dev.kun.record.SplitMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kun generate}: completes prompts with a model, on the same runner, I/O options and resume as
 * every stage. Input: JSONL records with a {@code prompt} field, or plain text with one prompt per
 * line. Output: each record plus {@code generation}, {@code prompt_tokens}, {@code generated_tokens}
 * and {@code finish_reason}.
 */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = {
            "Complete prompts with an in-process model. Input: JSONL records with a `prompt` field (see"
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

    private final Function<BackendOptions, TextGenerator> opener;

    public GenerateCommand() {
        this(GenerateCommand::openEngine);
    }

    /** A command whose backend comes from {@code opener} (tests substitute a fake). */
    GenerateCommand(Function<BackendOptions, TextGenerator> opener) {
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
        backend.validate();
        if (promptField.isEmpty()) throw KunException.usage("--prompt-field must not be empty");
        try (TextGenerator generator = opener.apply(backend);
                GenerateStage stage = new GenerateStage(generator, params, sampling.seed(), promptField,
                        // Several batches' worth per call keeps every slot busy while sequences finish.
                        4 * backend.batchSize(), maxPromptTokens(generator), backendFingerprint(backend))) {
            return new StageRunner(io.runConfig(inputFormat, null)).plainTextField(promptField).run(stage);
        }
    }

    /** The longest prompt {@code generator} accepts: its context minus one token to generate. */
    private static int maxPromptTokens(TextGenerator generator) {
        return generator instanceof DjlGenerator djl ? djl.maxContext() - 1 : Integer.MAX_VALUE;
    }

    /** The in-process engine as the backend options say. */
    static TextGenerator openEngine(BackendOptions backend) {
        DjlGenerator.Options options = DjlGenerator.Options.defaults()
                .withDevice(backend.device(), backend.devices())
                .withDtype(backend.dtype())
                .withMaxBatch(backend.batchSize())
                .withMaxContext(backend.maxContext());
        return DjlGenerator.open(backend.model(), options);
    }

    /**
     * What about the backend changes the output, for the resume check: the model (its path and the
     * name, size and time of each of its files), dtype, device and context limit. Not the batch size: it
     * changes no record's random draws, only the last bits of the arithmetic, so a run may resume with a
     * smaller one (after running out of memory).
     */
    static String backendFingerprint(BackendOptions backend) {
        StringBuilder sb = new StringBuilder();
        Path dir = backend.model().toAbsolutePath().normalize();
        sb.append("model=").append(dir);
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(Files::isRegularFile).sorted().forEach(f -> {
                try {
                    sb.append(';').append(f.getFileName()).append(':').append(Files.size(f))
                            .append('@').append(Files.getLastModifiedTime(f).toMillis());
                } catch (IOException e) {
                    sb.append(';').append(f.getFileName()).append(":?");
                }
            });
        } catch (IOException e) {
            // A missing model directory fails when the engine opens it, with a better message.
        }
        sb.append(";dtype=").append(backend.dtype());
        sb.append(";device=").append(backend.device());
        sb.append(";devices=").append(backend.devices());
        sb.append(";max_context=").append(backend.maxContext());
        return sb.toString();
    }
}
