package dev.kun.cli;

import dev.kun.backend.Backends;
import dev.kun.error.KunException;
import dev.kun.filter.OutputFormat;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.TextGenerator;
import dev.kun.generate.TextScorer;
import dev.kun.pipeline.OnError;
import dev.kun.pipeline.ProgressMode;
import dev.kun.record.ReadOptions;
import dev.kun.run.Pipeline;
import dev.kun.run.RunPlan;
import dev.kun.run.Step;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kun run}: the whole method in one command, seed -> label -> instruction rules -> judge -> polish
 * -> output rules, each stage with its files in the work directory, resumable, with one ledger of rejects
 * and a funnel report. Each stage is configured as its own command is ({@code kun seed}, {@code kun label},
 * ...), from {@code --config} and the shared model options given here.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Run the whole method: seed -> label -> instruction_rules -> judge -> polish -> output_rules, then write"
                    + " the final dataset (-o, Alpaca JSONL by default). Judge comes before polish, so rejected"
                    + " instructions cost no polishing.",
            "Each stage writes W/NN-stage.jsonl (its output, the next stage's input), W/NN-stage.rejects.jsonl and"
                    + " W/NN-stage.stats.json, and resumes per record: after a crash or Ctrl-C, rerun the same command;"
                    + " a finished stage says 'already complete' and is skipped. Every stage's rejects are gathered into"
                    + " W/rejects.jsonl: every document ends in the final dataset or there, exactly once. W/report.html"
                    + " and W/report.json show the funnel, refreshed at every checkpoint.",
            "Stage settings: --config FILE (YAML): model-stage settings at the top (model, device, temperature, ...),"
                    + " each stage's own under stages.<name> with the names of its command's options (stages.seed:"
                    + " kun seed's, stages.label: kun label's, stages.instruction_rules and stages.output_rules: kun"
                    + " filter's). The model and sampling options below apply to every model stage that does not set"
                    + " its own in the file; --label-model, --judge-model and --polish-model override everything for"
                    + " their stage. A model several stages use is loaded once.",
        })
public final class RunCommand implements Callable<Integer> {
    /** The run's stages, in the method's order (judge before polish). */
    static final List<String> STAGES = List.of("seed", "label", "instruction_rules", "judge", "polish", "output_rules");
    static final Set<String> MODEL_STAGES = Set.of("label", "judge", "polish");

    @Option(names = {"-i", "--input"}, paramLabel = "PATH", required = true,
            description = "The corpus: a file or directory as kun seed reads it (JSONL, JSON array, plain text, gzip); repeatable.")
    List<String> inputs = new ArrayList<>();

    @Option(names = {"-o", "--output"}, paramLabel = "FINAL", required = true,
            description = "The final dataset; - writes it to stdout (the stages still resume).")
    Path output;

    @Option(names = "--work-dir", paramLabel = "W", required = true,
            description = "Directory of the stages' outputs, rejects, stats and checkpoints, the ledger and the report.")
    Path workDir;

    @Option(names = "--config", paramLabel = "FILE", description = "Stage settings (YAML; see above and README).")
    Path config;

    @Option(names = "--format", paramLabel = "alpaca|jsonl",
            description = "alpaca: instruction, input, output; jsonl: every field, with ids and what each stage added (default: ${DEFAULT-VALUE}).")
    OutputFormat format = OutputFormat.ALPACA;

    @Mixin InputFormatOptions inputFormat;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model of every model stage (Hugging Face checkpoint directory) unless --config or --STAGE-model gives its own.")
    Path model;

    @Option(names = "--label-model", paramLabel = "DIR", description = "The label stage's model.")
    Path labelModel;

    @Option(names = "--judge-model", paramLabel = "DIR", description = "The judge stage's model.")
    Path judgeModel;

    @Option(names = "--polish-model", paramLabel = "DIR", description = "The polish stage's model.")
    Path polishModel;

    @Mixin DeviceOptions device;

    /** As kun generate's, for every model stage (read, like every shared option, as given: see modelLayers). */
    @Mixin EndpointOptions endpoint;

    @Option(names = "--devices", paramLabel = "N,N,...", description = "As kun generate's, for every model stage.")
    String devices;

    @Option(names = "--batch-size", paramLabel = "N", description = "As kun generate's, for every model stage (default: 16).")
    Integer batchSize;

    @Option(names = "--max-context", paramLabel = "N", description = "As kun generate's, for every model stage (default: 0, the model's).")
    Integer maxContext;

    @Mixin SamplingOptions sampling;

    @Option(names = "--on-error", paramLabel = "fail|skip",
            description = "Bad input: fail (exit 3 naming file and line) or skip (into the ledger) (default: fail).")
    OnError onError = OnError.FAIL;

    @Option(names = "--progress", paramLabel = "auto|always|never",
            description = "Per-stage progress on stderr: records/s, tokens/s and ETA (default: auto, on a terminal).")
    ProgressMode progress = ProgressMode.AUTO;

    @Option(names = "--max-line-bytes", paramLabel = "N", description = "Longest corpus line accepted (default: ${DEFAULT-VALUE}).")
    long maxLineBytes = 16L * 1024 * 1024;

    @Option(names = "--checkpoint-every", paramLabel = "N",
            description = "Records between checkpoints of every stage (default: 256 for a model stage, 10000 otherwise).")
    Integer checkpointEvery;

    @Option(names = "--force", description = "Discard every stage's checkpoint and output, and the final dataset, and start over.")
    boolean force;

    @Spec CommandSpec spec;

    private final Function<BackendSpec, TextGenerator> generators;
    private final Function<BackendSpec, TextScorer> scorers;

    public RunCommand() {
        this(Backends::openGenerator, Backends::openScorer);
    }

    /** A command whose models come from these openers (tests substitute fakes). */
    RunCommand(Function<BackendSpec, TextGenerator> generators, Function<BackendSpec, TextScorer> scorers) {
        this.generators = generators;
        this.scorers = scorers;
    }

    @Override
    public Integer call() {
        if (checkpointEvery != null && checkpointEvery < 1) throw KunException.usage("--checkpoint-every must be >= 1");
        PipelineConfig file = config == null ? PipelineConfig.none() : PipelineConfig.load(config);
        SeedCommand seed = seedStage(file);
        List<Step> steps = List.of(
                seed.runStep(),
                modelStep("label", file),
                ruleStage("instruction_rules", "instruction", file).runStep("instruction_rules"),
                modelStep("judge", file),
                modelStep("polish", file),
                ruleStage("output_rules", "output", file).runStep("output_rules"));
        Path out = output.toString().equals("-") ? null : output;
        RunPlan plan = new RunPlan(inputs, new ReadOptions(inputFormat.inputFormat, inputFormat.split, seed.config().textField(),
                maxLineBytes), workDir, out, format, onError, progress, checkpointEvery, force, false);
        return new Pipeline(plan, steps, generators, scorers).run();
    }

    /** kun seed's options from stages.seed (corpus in, records out: --invert makes no sense here). */
    SeedCommand seedStage(PipelineConfig file) {
        checkStageNames(file);
        return StageOptions.parse(new SeedCommand(), "seed", List.of(file.stage("seed")), Set.of("--invert", "--sft-format"));
    }

    /** kun filter's options from stages.NAME, with the rule set {@code rules} unless the file names another. */
    FilterCommand ruleStage(String name, String rules, PipelineConfig file) {
        return StageOptions.parse(new FilterCommand(), name,
                List.of(StageSettings.of("kun run's default", "--rules", rules), file.stage(name)), Set.of("--format"));
    }

    /**
     * The settings of model stage {@code name}, weakest first: the file's top level, this command's model
     * and sampling options as given, the file's stages.NAME, then --NAME-model.
     */
    List<StageSettings> modelLayers(String name, PipelineConfig file) {
        checkStageNames(file);
        Set<String> shared = sharedSettingNames();
        for (String option : file.shared().values().keySet()) {
            if (!shared.contains(option)) {
                throw KunException.usage(file.shared().source() + ": no top-level setting '" + StageSettings.key(option)
                        + "' (model-stage settings: " + String.join(", ", shared.stream().map(StageSettings::key).toList())
                        + "; a stage's own settings go under " + PipelineConfig.STAGES + ".<name>)");
            }
        }
        List<StageSettings> layers = new ArrayList<>();
        layers.add(file.shared());
        layers.add(commandLineShared(shared));
        layers.add(file.stage(name));
        Path own = switch (name) {
            case "label" -> labelModel;
            case "judge" -> judgeModel;
            case "polish" -> polishModel;
            default -> null;
        };
        if (own != null) layers.add(StageSettings.of("--" + name + "-model", "--model", own.toString()));
        for (StageSettings layer : layers) {
            for (String batchFile : List.of("--export-batch", "--import-batch")) {
                if (layer.values().containsKey(batchFile)) {
                    // An exporting stage hands the next one no records: batch files are for one stage's command.
                    throw KunException.usage(layer.source() + ": " + batchFile + " goes with one stage's command (kun "
                            + name + "), not kun run");
                }
            }
        }
        if (layers.stream().noneMatch(l -> l.values().containsKey("--model") || l.values().containsKey("--endpoint"))) {
            throw KunException.usage(name + " needs a model: give --model, --" + name + "-model, or model: (or endpoint:)"
                    + " in --config");
        }
        return layers;
    }

    /** The model stage {@code name}, configured as its command ({@code kun label}, ...) from {@link #modelLayers}. */
    private Step modelStep(String name, PipelineConfig file) {
        List<StageSettings> layers = modelLayers(name, file);
        return switch (name) {
            case "label" -> StageOptions.parse(new LabelCommand(), name, layers, Set.of()).runStep();
            case "judge" -> StageOptions.parse(new JudgeCommand(), name, layers, Set.of()).runStep();
            case "polish" -> StageOptions.parse(new PolishCommand(), name, layers, Set.of()).runStep();
            default -> throw new IllegalArgumentException("not a model stage: " + name);
        };
    }

    /** The model and sampling options every model stage shares: those of BackendOptions and SamplingOptions. */
    static Set<String> sharedSettingNames() {
        CommandSpec shared = CommandSpec.create();
        shared.addMixin("backend", CommandSpec.forAnnotatedObject(new BackendOptions()));
        shared.addMixin("sampling", CommandSpec.forAnnotatedObject(new SamplingOptions()));
        return StageOptions.settingNames(shared, Set.of());
    }

    /** This command's model and sampling options that were given on the command line, as given. */
    private StageSettings commandLineShared(Set<String> shared) {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        Map<String, List<String>> given = new java.util.LinkedHashMap<>();
        for (String name : shared) {
            OptionSpec option = parsed == null ? null : parsed.matchedOption(name);
            if (option != null) given.put(name, option.stringValues());
        }
        return new StageSettings("the command line", null, given);
    }

    private static void checkStageNames(PipelineConfig file) {
        for (String name : file.stages().keySet()) {
            if (!STAGES.contains(name)) {
                throw KunException.usage(file.file() + ": no stage '" + name + "' (stages: " + String.join(", ", STAGES) + ")");
            }
        }
    }
}
