package dev.kun.cli;

import dev.kun.backend.Backends;
import dev.kun.error.KunException;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.PromptStage;
import dev.kun.generate.Provenance;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.TextGenerator;
import dev.kun.generate.TextScorer;
import dev.kun.judge.JudgeConfig;
import dev.kun.judge.JudgeLogitsStage;
import dev.kun.judge.JudgeTask;
import dev.kun.pipeline.Stage;
import dev.kun.pipeline.StageRunner;
import dev.kun.record.KunRecord;
import dev.kun.run.Step;
import dev.kun.prompt.PromptTemplate;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kun judge}: the point model judges each instruction (METHOD.md step 4), or a model rates each
 * (instruction, output) pair with Humpback's self-curation rubric, and the verdict selects the records.
 */
@Command(
        name = "judge",
        mixinStandardHelpOptions = true,
        description = {
            "Judge each record with a model and keep the good ones (METHOD.md step 4). --template kun (the method's):"
                    + " the point prompt on the instruction alone; kept when the answer holds 【好】 and not 【差】."
                    + " --template humpback: Humpback's 5-point self-curation rubric on (instruction, output); kept when"
                    + " the last `Score: N` has N >= --min-score. The answer goes to `score` and the verdict is read as"
                    + " `kun filter --rules verdict` reads it; `kun.judge` records the model, sampling, seed and verdict.",
            "--verdict-from logits runs each prompt once, with the answer's start (【, or Score: ) appended, and"
                    + " decides from the probabilities of the verdict tokens at the next position (好 against 差; the"
                    + " likeliest of 1-5), written to kun.judge.probabilities: no sampling, no unparseable answers.",
            "Rejects: verdict_bad, verdict_low_score, verdict_unparseable (the answer has no verdict; the reject"
                    + " keeps it in `score`), prompt_too_long."
        })
public final class JudgeCommand implements Callable<Integer> {

    @Mixin IoOptions io;

    @Mixin InputFormatOptions inputFormat;

    @Mixin SamplingOptions sampling;

    @Mixin BackendOptions backend;

    @Mixin TemplateOptions templates;

    @Option(names = "--template", paramLabel = "kun|humpback",
            description = "The rubric: kun (the point prompt, 【好】/【差】) or humpback (5-point self-curation) (default: ${DEFAULT-VALUE}).")
    String template = "kun";

    @Option(names = "--min-score", paramLabel = "N",
            description = "Humpback: the lowest rating kept, 1 to 5 (default: ${DEFAULT-VALUE}, as Humpback keeps).")
    double minScore = 5;

    @Option(names = "--verdict-from", paramLabel = "generate|logits",
            description = "generate: sample the judge's answer and parse it; logits: read the verdict tokens' probabilities"
                    + " in one pass, ignoring the sampling options (default: ${DEFAULT-VALUE}).")
    String verdictFrom = "generate";

    private final Function<BackendSpec, TextGenerator> generators;
    private final Function<BackendSpec, TextScorer> scorers;

    public JudgeCommand() {
        this(Backends::openGenerator, Backends::openScorer);
    }

    /** A command whose backends come from these openers (tests substitute fakes). */
    JudgeCommand(Function<BackendSpec, TextGenerator> generators, Function<BackendSpec, TextScorer> scorers) {
        this.generators = generators;
        this.scorers = scorers;
    }

    @Override
    public Integer call() {
        BackendSpec spec = backend.spec();
        Plan plan = plan(spec);
        StageRunner runner = new StageRunner(io.runConfig(inputFormat, null));
        if (plan.logits()) {
            try (TextScorer scorer = scorers.apply(spec)) {
                return runner.run(plan.onScorer(scorer));
            }
        }
        try (TextGenerator generator = generators.apply(spec)) {
            return runner.run(plan.onGenerator(generator));
        }
    }

    /** This command's stage as the judge stage of {@code kun run}, on the run's shared model. */
    Step runStep() {
        BackendSpec spec = backend.spec();
        Plan plan = plan(spec);
        return Step.model("judge", spec, KunRecord.SCORE,
                model -> plan.logits() ? plan.onScorer(model.scorer()) : plan.onGenerator(model.generator()));
    }

    /** How the stage is built once its model is open: a prompt stage on a generator, or (logits) a scorer's stage. */
    private record Plan(boolean logits, Function<TextGenerator, Stage> onGenerator, Function<TextScorer, Stage> onScorer) {
        Stage onGenerator(TextGenerator generator) {
            return onGenerator.apply(generator);
        }

        Stage onScorer(TextScorer scorer) {
            return onScorer.apply(scorer);
        }
    }

    /** Checks every option now, before the model loads, and says how to build the stage once it has. */
    private Plan plan(BackendSpec spec) {
        JudgeConfig.Rubric rubric = switch (template) {
            case "kun" -> JudgeConfig.Rubric.KUN;
            case "humpback" -> JudgeConfig.Rubric.HUMPBACK;
            default -> throw KunException.usage("--template must be kun or humpback: '" + template + "'");
        };
        boolean logits = switch (verdictFrom) {
            case "generate" -> false;
            case "logits" -> true;
            default -> throw KunException.usage("--verdict-from must be generate or logits: '" + verdictFrom + "'");
        };
        if (rubric == JudgeConfig.Rubric.HUMPBACK && (minScore < 1 || minScore > 5)) {
            throw KunException.usage("--min-score must be in 1..5: " + minScore);
        }
        PromptTemplate text = rubric.check(templates.template(rubric.template()));
        templates.validate();
        sampling.toParams();
        if (logits && !sampling.overrides().isEmpty()) {
            System.err.println("kun: judge --verdict-from logits does not sample; the sampling options are ignored");
        }
        // Several batches' worth per call keeps every slot busy while sequences finish.
        int batch = 4 * spec.slots();
        return new Plan(logits, generator -> {
            JudgeConfig config = config(rubric, text, spec, generator.servedModel(), generator.fingerprint());
            SamplingParams params = sampling.toParams(config.defaultSampling());
            return new PromptStage(generator, new JudgeTask(config), params, sampling.seed(), batch);
        }, scorer -> new JudgeLogitsStage(scorer, config(rubric, text, spec, null, scorer.fingerprint()), batch));
    }

    private JudgeConfig config(JudgeConfig.Rubric rubric, PromptTemplate text, BackendSpec spec, String servedModel,
            String fingerprint) {
        return new JudgeConfig(rubric, text, templates.chat(spec.modelFiles()), minScore,
                Provenance.of(BackendOptions.modelName(spec, servedModel), fingerprint));
    }
}
