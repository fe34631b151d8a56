package dev.kun.cli;

import dev.kun.backend.Backends;
import dev.kun.error.KunException;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.PromptStage;
import dev.kun.generate.Provenance;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.TextGenerator;
import dev.kun.pipeline.StageRunner;
import dev.kun.record.KunRecord;
import dev.kun.run.Step;
import dev.kun.polish.PolishConfig;
import dev.kun.polish.PolishTask;
import dev.kun.prompt.AnswerPrompt;
import dev.kun.prompt.PromptTemplate;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kun polish}: the answer model rewrites each document as the answer to its instruction
 * (METHOD.md step 5). The generation replaces {@code output}; the document stays in {@code document}.
 */
@Command(
        name = "polish",
        mixinStandardHelpOptions = true,
        description = {
            "Polish each document into an answer to its instruction with the answer model (METHOD.md step 5). The"
                    + " method's answer prompt (<|im_start|>user 已知：\\n + document + ,请回答: + instruction + ...) must"
                    + " fit --budget tokens of the model's tokenizer: a longer instruction is cut to its longest prefix"
                    + " that fits, and the record keeps the cut instruction (kun.polish.original_instruction the whole"
                    + " one). The generation, cut at the first stop string, replaces `output`; the document is kept in"
                    + " `document`; `kun.polish` records the model, sampling, seed, finish reason and token counts.",
            "Rejects: document_too_long (the prompt exceeds --budget even without the instruction),"
                    + " output_truncated (the answer ran out of tokens), prompt_too_long (the prompt does not fit the"
                    + " model's context)."
        })
public final class PolishCommand implements Callable<Integer> {

    @Mixin IoOptions io;

    @Mixin InputFormatOptions inputFormat;

    @Mixin SamplingOptions sampling;

    @Mixin BackendOptions backend;

    @Mixin TemplateOptions templates;

    @Option(names = "--document-field", paramLabel = "NAME",
            description = "Field holding the document (default: ${DEFAULT-VALUE}, where label writes it).")
    String documentField = "output";

    @Option(names = "--budget", paramLabel = "TOKENS",
            description = "Most tokens of the whole prompt, in the answer model's tokenizer (default: ${DEFAULT-VALUE}, the method's).")
    int budget = 512;

    @Option(names = "--keep-truncated", description = "Keep an answer whose generation ran out of tokens instead of rejecting it.")
    boolean keepTruncated;

    private final Function<BackendSpec, TextGenerator> opener;

    public PolishCommand() {
        this(Backends::openGenerator);
    }

    /** A command whose backend comes from {@code opener} (tests substitute a fake). */
    PolishCommand(Function<BackendSpec, TextGenerator> opener) {
        this.opener = opener;
    }

    @Override
    public Integer call() {
        BackendSpec spec = backend.spec();
        Function<TextGenerator, PromptStage> stage = stageOn(spec);
        try (TextGenerator generator = opener.apply(spec)) {
            return new StageRunner(io.runConfig(inputFormat, null)).plainTextField(documentField).run(stage.apply(generator));
        }
    }

    /** This command's stage as the polish stage of {@code kun run}, on the run's shared model. */
    Step runStep() {
        BackendSpec spec = backend.spec();
        Function<TextGenerator, PromptStage> stage = stageOn(spec);
        return Step.model("polish", spec, KunRecord.OUTPUT, model -> stage.apply(model.generator()));
    }

    /** Checks every option now, before the model loads, and says how to build the stage once it has. */
    private Function<TextGenerator, PromptStage> stageOn(BackendSpec spec) {
        if (documentField.isEmpty()) throw KunException.usage("--document-field must not be empty");
        if (budget < 1) throw KunException.usage("--budget must be >= 1: " + budget);
        PromptTemplate template = templates.template(AnswerPrompt.TEMPLATE).check("polish", AnswerPrompt.FILLS, AnswerPrompt.NEEDS);
        templates.validate();
        sampling.toParams();
        return generator -> {
            PolishConfig config = new PolishConfig(documentField, budget, template, templates.chat(spec.modelFiles()), keepTruncated,
                    Provenance.of(BackendOptions.modelName(spec, generator.servedModel()), generator.fingerprint()));
            SamplingParams params = sampling.toParams(config.defaultSampling());
            return new PromptStage(generator, new PolishTask(config), params, sampling.seed(), 4 * spec.slots());
        };
    }
}
