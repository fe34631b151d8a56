package dev.kun.run;

import dev.kun.filter.OutputFormat;
import dev.kun.pipeline.OnError;
import dev.kun.pipeline.ProgressMode;
import dev.kun.record.ReadOptions;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@code kun run} reads and writes, besides its stages: the corpus and how to parse it, the work
 * directory, the final dataset (null: stdout) and its format, bad-input policy, progress, and a
 * checkpoint interval for every stage (null: each stage's own, see {@link Step}).
 */
public record RunPlan(
        List<String> inputs,
        ReadOptions read,
        Path workDir,
        Path output,
        OutputFormat format,
        OnError onError,
        ProgressMode progress,
        Integer checkpointEvery,
        boolean force,
        boolean verbose) {

    public RunPlan {
        inputs = List.copyOf(inputs);
    }

    /** A plan for tests and embedding: defaults for everything but the paths. */
    public static RunPlan of(List<String> inputs, Path workDir, Path output) {
        return new RunPlan(inputs, ReadOptions.defaults(), workDir, output, OutputFormat.ALPACA, OnError.FAIL,
                ProgressMode.NEVER, null, false, false);
    }

    public RunPlan withFormat(OutputFormat f) {
        return new RunPlan(inputs, read, workDir, output, f, onError, progress, checkpointEvery, force, verbose);
    }

    public RunPlan withOnError(OnError mode) {
        return new RunPlan(inputs, read, workDir, output, format, mode, progress, checkpointEvery, force, verbose);
    }

    public RunPlan withCheckpointEvery(Integer n) {
        return new RunPlan(inputs, read, workDir, output, format, onError, progress, n, force, verbose);
    }

    public RunPlan withForce(boolean f) {
        return new RunPlan(inputs, read, workDir, output, format, onError, progress, checkpointEvery, f, verbose);
    }
}
