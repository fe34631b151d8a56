package dev.kun.pipeline;

import dev.kun.error.KunException;
import dev.kun.record.ReadOptions;
import java.nio.file.Path;
import java.util.List;

/**
 * Everything the {@link StageRunner} needs besides the stage: inputs, outputs (null output = stdout),
 * bad-input policy, progress, checkpointing, and how input is parsed.
 */
public record RunConfig(
        List<String> inputs,
        Path output,
        Path rejects,
        Path stats,
        OnError onError,
        ProgressMode progress,
        int checkpointEvery,
        boolean force,
        ReadOptions read,
        boolean verbose) {

    public RunConfig {
        inputs = List.copyOf(inputs);
        if (checkpointEvery < 1) throw KunException.usage("--checkpoint-every must be >= 1");
        if (read.maxLineBytes() < 1 || read.maxLineBytes() > Integer.MAX_VALUE - 16) {
            throw KunException.usage("--max-line-bytes must be between 1 and " + (Integer.MAX_VALUE - 16));
        }
    }

    /** The same run with plain text landing in {@code field} (generate uses {@code prompt}). */
    public RunConfig withPlainTextField(String field) {
        return new RunConfig(inputs, output, rejects, stats, onError, progress, checkpointEvery, force,
                read.withTextField(field), verbose);
    }

    /** A config for tests and embedding: read {@code inputs}, write {@code output}, defaults otherwise. */
    public static RunConfig simple(List<String> inputs, Path output) {
        return new RunConfig(inputs, output, null, null, OnError.FAIL, ProgressMode.NEVER, 1000, false,
                ReadOptions.defaults(), false);
    }

    public RunConfig withRejects(Path path) {
        return new RunConfig(inputs, output, path, stats, onError, progress, checkpointEvery, force, read, verbose);
    }

    public RunConfig withStats(Path path) {
        return new RunConfig(inputs, output, rejects, path, onError, progress, checkpointEvery, force, read, verbose);
    }

    public RunConfig withOnError(OnError mode) {
        return new RunConfig(inputs, output, rejects, stats, mode, progress, checkpointEvery, force, read, verbose);
    }

    public RunConfig withCheckpointEvery(int n) {
        return new RunConfig(inputs, output, rejects, stats, onError, progress, n, force, read, verbose);
    }

    public RunConfig withForce(boolean f) {
        return new RunConfig(inputs, output, rejects, stats, onError, progress, checkpointEvery, f, read, verbose);
    }

    public RunConfig withRead(ReadOptions r) {
        return new RunConfig(inputs, output, rejects, stats, onError, progress, checkpointEvery, force, r, verbose);
    }
}
