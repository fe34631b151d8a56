package dev.kun.cli;

import dev.kun.filter.FilterStage;
import dev.kun.filter.OutputFormat;
import dev.kun.filter.RuleSet;
import dev.kun.filter.VerdictMode;
import dev.kun.pipeline.StageRunner;
import dev.kun.run.Step;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kun filter}: the method's rule filters (METHOD.md steps 3, 4 and 6), one reason per rule. */
@Command(
        name = "filter",
        mixinStandardHelpOptions = true,
        description = {
            "Apply the method's rule filters: instruction keywords and trim (step 3), the point model's verdict"
                    + " (step 4), output keywords, trim, minimum length, catastrophic repetition and instruction"
                    + " repair (step 6). Each dropped record goes to --rejects with its rule's reason.",
            "Rule sets and keyword lists: configs/filter/ (format in configs/README.md)."
        })
public final class FilterCommand implements Callable<Integer> {

    /**
     * Records between checkpoints. The rules cost microseconds per record, so the runner's default
     * (1000, sized for model stages) would make fsyncs most of the run; 100000 records (~80 MB of
     * the seed set, about a second of work) bounds what a crash can lose just as well.
     */
    static final int CHECKPOINT_EVERY = 100_000;

    @Mixin IoOptions io = filterIo();

    @Mixin InputFormatOptions inputFormat;

    @Option(
            names = "--rules",
            paramLabel = "SET|FILE",
            defaultValue = "all",
            description = "A named rule set (all = instruction then output; instruction; output; verdict) or a"
                    + " rule-set JSON file. (default: ${DEFAULT-VALUE})")
    String rules;

    @Option(
            names = "--format",
            paramLabel = "jsonl|alpaca",
            defaultValue = "jsonl",
            description = "jsonl keeps every field; alpaca writes instruction, input (\"\" when absent), output only."
                    + " (default: ${DEFAULT-VALUE})")
    OutputFormat format;

    @Option(
            names = "--verdict-mode",
            paramLabel = "kun|humpback",
            description = "How the verdict rule reads `score`: kun keeps 【好】 without 【差】; humpback keeps a final"
                    + " `Score: N` with N >= --min-score. Overrides the rule set. (default: the set's, kun)")
    VerdictMode verdictMode;

    @Option(
            names = "--min-score",
            paramLabel = "N",
            description = "Humpback mode: the lowest rating kept. Overrides the rule set. (default: the set's, 5)")
    Double minScore;

    private static IoOptions filterIo() {
        IoOptions options = new IoOptions();
        options.checkpointEvery = CHECKPOINT_EVERY;
        return options;
    }

    /** This command's rules as stage {@code name} of {@code kun run}, passing every field on (the run formats at the end). */
    Step runStep(String name) {
        RuleSet set = RuleSet.load(rules).withVerdict(verdictMode, minScore);
        return Step.rules(name, () -> new FilterStage(set, OutputFormat.JSONL, name));
    }

    @Override
    public Integer call() {
        RuleSet set = RuleSet.load(rules).withVerdict(verdictMode, minScore);
        try (FilterStage stage = new FilterStage(set, format)) {
            return new StageRunner(io.runConfig(inputFormat, null)).run(stage);
        }
    }
}
