package dev.kun.cli;

import dev.kun.pipeline.OnError;
import dev.kun.pipeline.ProgressMode;
import dev.kun.pipeline.RunConfig;
import dev.kun.record.ReadOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** Where a stage reads and writes, what it does with bad input, and how it checkpoints. */
public final class IoOptions {

    @Option(
            names = {"-i", "--input"},
            paramLabel = "PATH",
            description = "Input file, directory (every *.jsonl, *.jsonl.gz, *.json, *.json.gz, *.txt, *.txt.gz inside, sorted)"
                    + " or - for stdin (a run reading stdin cannot resume); repeatable. Gzip is read transparently."
                    + " (default: -)")
    public List<String> inputs = new ArrayList<>();

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FILE",
            description = "Output JSONL file (.gz compresses). Written as FILE.part and renamed when complete;"
                    + " rerunning after a crash resumes from FILE.checkpoint. Without it (or with -o -) output goes to"
                    + " stdout and cannot resume.")
    public Path output;

    @Option(
            names = "--rejects",
            paramLabel = "FILE",
            description = "Write every dropped or bad record here with `stage`, `reason` and `source` (file:line) added.")
    public Path rejects;

    @Option(names = "--stats", paramLabel = "FILE", description = "Write the run's counters as JSON here.")
    public Path stats;

    @Option(
            names = "--on-error",
            paramLabel = "fail|skip",
            description = "Bad input: fail (exit 3 naming file and line) or skip (reject it and go on). (default: fail)")
    public OnError onError = OnError.FAIL;

    @Option(
            names = "--progress",
            paramLabel = "auto|always|never",
            description = "Progress on stderr; auto shows it only when stderr is a terminal. (default: auto)")
    public ProgressMode progress = ProgressMode.AUTO;

    @Option(
            names = "--max-line-bytes",
            paramLabel = "N",
            description = "Longest input line (or plain-text record) accepted; longer ones are bad input"
                    + " (line_too_long) and are skipped through without being held in memory. (default: ${DEFAULT-VALUE})")
    public long maxLineBytes = 16L * 1024 * 1024;

    @Option(
            names = "--checkpoint-every",
            paramLabel = "N",
            description = "Commit output and write a resume checkpoint every N input records. (default: ${DEFAULT-VALUE})")
    public int checkpointEvery = 1000;

    @Option(
            names = "--force",
            description = "Discard an existing checkpoint, partial or finished output and start over.")
    public boolean force;

    /**
     * The runner's configuration these options describe, with {@code format}; plain text lands in the
     * {@code text} field. {@code logging} may be null.
     */
    public RunConfig runConfig(InputFormatOptions format, LoggingOptions logging) {
        // -o - is stdout, as -i - is stdin (not a file named '-').
        Path out = output == null || output.toString().equals("-") ? null : output;
        return new RunConfig(inputs, out, rejects, stats, onError, progress, checkpointEvery, force,
                new ReadOptions(format.inputFormat, format.split, "text", maxLineBytes),
                logging != null && logging.verbose());
    }
}
