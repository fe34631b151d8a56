package dev.kun.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.filter.FilterStage;
import dev.kun.filter.RuleSet;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.PromptStage;
import dev.kun.generate.TextGenerator;
import dev.kun.generate.TextScorer;
import dev.kun.pipeline.RunConfig;
import dev.kun.pipeline.RunListener;
import dev.kun.pipeline.Stage;
import dev.kun.pipeline.StageRunner;
import dev.kun.pipeline.StageStats;
import dev.kun.record.InputFormat;
import dev.kun.record.Json;
import dev.kun.record.ReadOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kun run}: the stages one after another, each through its own {@link StageRunner} with its output,
 * rejects and stats in the work directory, so each resumes per record after a crash and a finished one is
 * skipped ("already complete"). Then the last stage's output is written as the final dataset, every
 * stage's rejects are gathered into the one ledger, and the funnel report is refreshed at every checkpoint
 * and stage end. Every input document ends in the final dataset or the ledger, exactly once.
 *
 * <p>Ctrl-C (or SIGTERM) asks the stage in progress to stop at its next batch boundary: nothing after its
 * last checkpoint counts, the report says "interrupted", and rerunning the same command resumes. A batch
 * that takes longer than {@link #STOP_WAIT_SECONDS} is abandoned as a kill would abandon it, with the same
 * result.
 */
public final class Pipeline {
    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
    static final long STOP_WAIT_SECONDS = 10;
    /** Lines of the work directory's files: records the stages wrote, which models may have lengthened. */
    private static final long WORK_LINE_BYTES = 64L * 1024 * 1024;

    private final RunPlan plan;
    private final List<Step> steps;
    private final Function<BackendSpec, TextGenerator> generators;
    private final Function<BackendSpec, TextScorer> scorers;
    private volatile boolean stopRequested;

    /**
     * {@code generators} and {@code scorers} open a model ({@code dev.kun.backend.Backends::openGenerator} and
     * {@code ::openScorer}; tests pass fakes); a backend that is both serves both.
     */
    public Pipeline(RunPlan plan, List<Step> steps, Function<BackendSpec, TextGenerator> generators,
            Function<BackendSpec, TextScorer> scorers) {
        this.plan = plan;
        this.steps = List.copyOf(steps);
        this.generators = generators;
        this.scorers = scorers;
        if (this.steps.isEmpty()) throw new IllegalArgumentException("a run needs at least one stage");
        if (new HashSet<>(this.steps.stream().map(Step::name).toList()).size() != this.steps.size()) {
            throw new IllegalArgumentException("two stages of one run share a name");
        }
    }

    /** Asks the run to stop at the next batch boundary, as Ctrl-C does. */
    public void requestStop() {
        stopRequested = true;
    }

    public List<Step> steps() {
        return steps;
    }

    /** Runs every stage and writes the final dataset; returns {@link ExitCodes#OK} or throws a {@link KunException}. */
    public int run() {
        WorkDir work = new WorkDir(plan.workDir());
        prepare(work);
        if (plan.force()) discardEarlierRun(work);
        String finalName = plan.output() == null ? "stdout" : plan.output().toString();
        FunnelReport report = new FunnelReport(work, steps, plan.inputs(), finalName, plan.format().toString());
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> stopOnSignal(report, finished), "kun-run-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try (SharedModels models = new SharedModels(steps, generators, scorers)) {
            execute(work, report, models);
            return ExitCodes.OK;
        } catch (KunException e) {
            end(report, e.exitCode() == ExitCodes.INTERRUPTED ? "interrupted" : "failed", e.getMessage());
            if (e.exitCode() == ExitCodes.INTERRUPTED) {
                System.err.println("kun: run interrupted; rerun the same command to resume (report: " + work.reportHtml() + ")");
            }
            throw e;
        } catch (RuntimeException | Error e) {
            end(report, "failed", String.valueOf(e.getMessage()));
            throw e;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running (Ctrl-C): it has what it waited for.
            }
        }
    }

    private void prepare(WorkDir work) {
        Path dir = work.dir();
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw KunException.usage("--work-dir " + dir + " is not a directory");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw KunException.usage("cannot create --work-dir " + dir + ": " + e.getMessage());
        }
    }

    /**
     * --force: every file of an earlier run goes first, the final dataset too, so that a forced run that
     * stops midway never leaves an earlier run's results beside its own.
     */
    private void discardEarlierRun(WorkDir work) {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            for (Path p : List.of(work.output(i + 1, step), work.rejects(i + 1, step))) {
                files.add(p);
                files.add(sibling(p, ".part"));
                files.add(sibling(p, ".checkpoint"));
            }
            files.add(work.stats(i + 1, step));
        }
        files.addAll(List.of(work.finalRejects(), sibling(work.finalRejects(), ".part"), work.finalStats(), work.ledger(),
                work.reportJson(), work.reportHtml()));
        if (plan.output() != null) {
            files.addAll(List.of(plan.output(), sibling(plan.output(), ".part"), sibling(plan.output(), ".checkpoint")));
        }
        try {
            for (Path p : files) {
                // Written in place and never deleted: /dev/null, a pipe (as the runner treats them).
                if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.delete(p);
            }
        } catch (IOException e) {
            throw KunException.usage("--force: cannot remove an earlier run's file: " + e.getMessage());
        }
    }

    private static Path sibling(Path p, String suffix) {
        return p.resolveSibling(p.getFileName() + suffix);
    }

    private void execute(WorkDir work, FunnelReport report, SharedModels models) {
        List<String> inputs = plan.inputs();
        ReadOptions read = plan.read();
        // A stage may keep nothing: its empty output is the next stage's input of no records, not bad input.
        ReadOptions workRead = new ReadOptions(InputFormat.JSONL, read.split(), read.textField(),
                Math.max(read.maxLineBytes(), WORK_LINE_BYTES), true);
        List<Path> ledgerParts = new ArrayList<>();
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            int index = i + 1;
            Path output = work.output(index, step);
            Path rejects = work.rejects(index, step);
            Path stats = work.stats(index, step);
            int every = plan.checkpointEvery() != null ? plan.checkpointEvery() : step.checkpointEvery();
            RunConfig config = new RunConfig(inputs, output, rejects, stats, plan.onError(), plan.progress(), every,
                    plan.force(), read, plan.verbose());
            report.running(i);
            write(report);
            System.err.println(String.format(Locale.ROOT, "kun run: stage %d/%d %s%s -> %s", index, steps.size(),
                    step.name(), modelNote(step, models), output));
            Model model = step.needsModel() ? models.acquire(step) : null;
            try (Stage stage = step.stage().apply(model)) {
                if (stage instanceof PromptStage prompt) {
                    ObjectNode about = Json.MAPPER.createObjectNode();
                    about.set("sampling", PromptStage.samplingJson(prompt.sampling()));
                    about.put("seed", prompt.runSeed());
                    report.about(i, about);
                }
                new StageRunner(config).listenedBy(listener(report, i)).run(stage);
            }
            if (step.needsModel()) models.release(step);
            ledgerParts.add(rejects);
            try {
                report.complete(i, FunnelReport.readStats(stats), StageDigest.read(output, rejects, step.generatedField(), step.name()));
                report.ledger(Ledger.rebuild(work.ledger(), ledgerParts));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            write(report);
            inputs = List.of(output.toString());
            read = workRead;
        }
        exportFinal(work, report, inputs, read, ledgerParts);
    }

    /** Writes the last stage's output as the final dataset in the asked format (a rule set with no rules). */
    private void exportFinal(WorkDir work, FunnelReport report, List<String> inputs, ReadOptions read, List<Path> ledgerParts) {
        RunConfig config = new RunConfig(inputs, plan.output(), work.finalRejects(), work.finalStats(), plan.onError(),
                plan.progress(), Step.RULES_CHECKPOINT_EVERY, plan.force(), read, plan.verbose());
        try (FilterStage export = new FilterStage(new RuleSet("none", List.of()), plan.format(), "final")) {
            new StageRunner(config).run(export);
        }
        ledgerParts.add(work.finalRejects());
        try {
            ObjectNode stats = FunnelReport.readStats(work.finalStats());
            report.exported(stats);
            long ledger = Ledger.rebuild(work.ledger(), ledgerParts);
            report.ledger(ledger);
            report.finish("complete", null);
            report.write();
            ObjectNode first = FunnelReport.readStats(work.stats(1, steps.get(0)));
            long in = first.path("total").asLong();
            long out = stats.path("kept").asLong();
            System.err.println(String.format(Locale.ROOT,
                    "kun run: %,d documents -> %,d records in %s (%s); %,d in the ledger %s; report %s", in, out,
                    plan.output() == null ? "stdout" : plan.output(), ReportPage.pct(out, in), ledger, work.ledger(),
                    work.reportHtml()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String modelNote(Step step, SharedModels models) {
        if (!step.needsModel()) return "";
        List<String> sharing = models.sharing(step);
        return " (model " + step.backend().describe() + (sharing.size() > 1 ? ", shared by " + String.join(", ", sharing) : "") + ")";
    }

    private RunListener listener(FunnelReport report, int i) {
        return new RunListener() {
            @Override
            public void committed(StageStats stats) {
                report.progress(i, stats);
                write(report);
            }

            @Override
            public boolean stopRequested() {
                return stopRequested;
            }
        };
    }

    /** Refreshes the report; a failure to write it is logged, not fatal: the data files are what counts. */
    private static void write(FunnelReport report) {
        try {
            report.write();
        } catch (IOException e) {
            LOG.warn("could not write the report: {}", e.toString());
        }
    }

    private static void end(FunnelReport report, String status, String message) {
        report.finish(status, message);
        write(report);
    }

    /** The Ctrl-C hook: ask for a stop, give the stage in progress a moment to reach a batch boundary. */
    private void stopOnSignal(FunnelReport report, CountDownLatch finished) {
        stopRequested = true;
        System.err.println("kun: stopping at the next batch boundary (at most " + STOP_WAIT_SECONDS
                + " s); rerun the same command to resume");
        try {
            if (!finished.await(STOP_WAIT_SECONDS, TimeUnit.SECONDS)) {
                end(report, "interrupted", "stopped in the middle of a batch; the rerun resumes from the last checkpoint");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
