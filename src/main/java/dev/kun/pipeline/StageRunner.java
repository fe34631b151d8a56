package dev.kun.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.record.InputFile;
import dev.kun.record.InputRecord;
import dev.kun.record.Json;
import dev.kun.record.JsonlWriter;
import dev.kun.record.KunRecord;
import dev.kun.record.RecordReader;
import dev.kun.record.RecordReader.Position;
import dev.kun.record.RejectWriter;
import dev.kun.record.StdoutClosedException;
import dev.kun.record.WriteFailedException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link Stage} over the inputs: streams records in batches of {@link Stage#batchSize()},
 * writes kept records to the output and the rest to rejects, counts, shows progress, and makes the
 * run resumable. A command's whole job is:
 *
 * <pre>{@code
 * try (Stage stage = new FilterStage(...)) {
 *     return new StageRunner(io.runConfig(format, logging)).run(stage);
 * }
 * }</pre>
 *
 * <p>Resume: with {@code -o FILE} (and no stdin input) output goes to {@code FILE.part} and rejects to
 * {@code REJECTS.part}; every {@code --checkpoint-every} input records both are made durable and
 * {@code FILE.checkpoint} is replaced atomically (see {@link Checkpoint}, {@link BackgroundCommitter}).
 * Rerun with the same arguments after a crash, even SIGKILL, cuts the .part files back to the
 * checkpoint, replays the committed output through {@link Stage#restore}, skips the consumed input and
 * goes on (see {@link Resume}); the result is byte-identical to a run that never stopped. At the end the
 * .part files are renamed and the checkpoint says {@code complete}; rerunning then prints "already
 * complete" unless {@code --force}. Checkpoints sit at fixed record counts, never at times, so output
 * bytes never depend on timing. Which files may be written at all is {@link OutputTargets}'s call, and
 * while a run writes them {@link OutputLock} keeps every other kun process off them.
 */
public final class StageRunner {
    /** Made on the first message, so a run that logs nothing never starts logback (see LoggingOptions). */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(StageRunner.class);
    }
    private static final int LOGGED_BAD_INPUT = 10;

    private final RunConfig config;
    private final RunListener listener;

    /** The usual way in: a command builds {@code config} from its option mixins. */
    public StageRunner(RunConfig config) {
        this(config, RunListener.NONE);
    }

    private StageRunner(RunConfig config, RunListener listener) {
        this.config = config;
        this.listener = listener;
    }

    /** The same runner with plain text landing in {@code field} instead of {@code text}. */
    public StageRunner plainTextField(String field) {
        return new StageRunner(config.withPlainTextField(field), listener);
    }

    /** The same runner telling {@code listener} of every checkpoint and asking it whether to stop. */
    public StageRunner listenedBy(RunListener listener) {
        return new StageRunner(config, listener);
    }

    public RunConfig config() {
        return config;
    }

    /**
     * Runs {@code stage} to the end and returns {@link ExitCodes#OK}; failures are thrown as
     * {@link KunException} (bad input: exit 3 naming file and line; checkpoint mismatch: exit 2).
     * Does not close the stage.
     */
    public int run(Stage stage) {
        Run run = null;
        try {
            run = new Run(stage);
            return run.execute();
        } catch (StdoutClosedException e) {
            // As `grep ... | head` does: the reader has what it asked for, so no error and no "bug" exit code.
            System.err.println("kun: stdout was closed by its reader; stopped early" + leftBehind(run));
            return ExitCodes.OK;
        } catch (WriteFailedException e) {
            if ("Broken pipe".equals(e.reason())) {
                // A named pipe or /dev/stdout whose reader went away: the same as stdout closed.
                System.err.println("kun: " + e.file() + " was closed by its reader; stopped early" + leftBehind(run));
                return ExitCodes.OK;
            }
            // Disk full, quota, an I/O error: the machine's to fix, and the last checkpoint still stands.
            throw new KunException(ExitCodes.ENVIRONMENT, e.getMessage() + resumeHint(run), e);
        } catch (java.nio.file.FileSystemException e) {
            // A path kun cannot use (permissions, a directory where a file goes): the user's to fix, not a bug.
            String why = e.getReason() != null ? e.getReason()
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                    : e.getClass().getSimpleName();
            boolean environment = e instanceof java.nio.file.AccessDeniedException || "Read-only file system".equals(e.getReason());
            throw new KunException(environment ? ExitCodes.ENVIRONMENT : ExitCodes.USAGE, e.getFile() + ": " + why
                    + (environment ? resumeHint(run) : ""), e);
        } catch (IOException e) {
            throw new KunException(ExitCodes.INTERNAL, "I/O error: " + e.getMessage(), e);
        }
    }

    /** What a failed run that can resume should say about the rerun. */
    private static String resumeHint(Run run) {
        return run != null && run.resumable
                ? "; fix that and rerun the same command: it resumes from the last checkpoint" : "";
    }

    /** What a run its reader stopped leaves: rejects as .part, no stats; the same command starts over. */
    private static String leftBehind(Run run) {
        if (run == null || run.targets.rejects == null || run.targets.rejects.special) return "";
        return " (rejects so far in " + run.targets.rejects.part() + ", no stats; rerun to start over)";
    }

    /** The state of one run. */
    private final class Run {
        private final Stage stage;
        private final List<InputFile> files;
        private final OutputTargets targets;
        private final boolean resumable;
        private final Resume resume;
        private final long startNanos = System.nanoTime();
        private StageStats stats;
        private double previousSeconds;
        private long consumed;
        private JsonlWriter out;
        private RejectWriter rejects;
        private long loggedBadInput;
        private final BackgroundCommitter committer = new BackgroundCommitter();

        Run(Stage stage) {
            this.stage = stage;
            this.targets = new OutputTargets(config);
            this.files = InputFile.resolve(config.inputs(), targets.ownFiles());
            this.resumable = targets.outputIsFile() && files.stream().noneMatch(InputFile::isStream);
            this.resume = new Resume(targets, files, resumable, stage, config);
            this.stats = new StageStats(stage.name());
        }

        int execute() throws IOException {
            targets.check(files);
            // Before anything is read or deleted: --force must never take over a live run's files.
            List<OutputLock> locks = OutputLock.acquireAll(targets);
            try {
                return executeLocked();
            } finally {
                OutputLock.releaseAll(locks);
            }
        }

        private int executeLocked() throws IOException {
            if (config.force()) targets.discardEarlierRun(resume.checkpointPath());
            Checkpoint checkpoint = resume.load();
            if (checkpoint != null && checkpoint.complete()) {
                resume.alreadyComplete(checkpoint);
                return ExitCodes.OK;
            }
            Position start = Position.START;
            if (checkpoint != null) {
                start = checkpoint.position();
                consumed = checkpoint.consumed();
                stats = StageStats.fromJson(checkpoint.stats());
                previousSeconds = stats.seconds();
            }
            openWriters(checkpoint);
            if (checkpoint != null) {
                Log.LOG.info("resuming {} after {} records (checkpoint {})", stage.name(), consumed, resume.checkpointPath());
            }
            StageStats done;
            try {
                if (checkpoint != null && checkpoint.outputBytes() > 0 && Resume.restores(stage)) {
                    long n = Resume.replay(stage, targets.output.part(), config.read());
                    Log.LOG.debug("restored {} committed records into stage {}", n, stage.name());
                }
                done = stream(start);
            } catch (Throwable t) {
                // Leave the files as a kill would: nothing beyond the last checkpoint counts. A checkpoint in
                // flight may finish first (its bytes were all handed over), but not race the close.
                committer.awaitQuietly();
                out.abort();
                if (rejects != null) rejects.abort();
                throw t;
            } finally {
                committer.close();
            }
            System.err.println(done.summary());
            return ExitCodes.OK;
        }

        private StageStats stream(Position start) throws IOException {
            try (RecordReader reader = new RecordReader(files, config.read(), start, stage.compactRecords())) {
                Progress progress = new Progress(config.progress(), stage.name(), RecordReader.totalBytes(files),
                        consumed, reader.bytesRead(), stats.tokensOut());
                try {
                    Batch batch = read(reader, consumed);
                    while (true) {
                        if (listener.stopRequested()) {
                            throw new KunException(ExitCodes.INTERRUPTED, stage.name() + ": stopped after " + consumed
                                    + " records; what the last checkpoint holds is kept, and a rerun resumes from there");
                        }
                        if (batch.stop != null) {
                            // A record read before it may be bad input for the stage: the first bad line is the one to name.
                            if (!batch.items.isEmpty()) process(batch.items, batch.records);
                            throw badInput(batch.stop.source(), batch.stop.message());
                        }
                        if (batch.items.isEmpty()) break;
                        // A stage that reads ahead gets the next batch now, unless a checkpoint comes first.
                        Batch next = null;
                        long after = consumed + batch.items.size();
                        if (stage.readsAhead() && after % config.checkpointEvery() != 0) {
                            next = read(reader, after);
                            if (next.stop == null && !next.records.isEmpty()) stage.ahead(next.records);
                        }
                        process(batch.items, batch.records);
                        consumed = after;
                        if (consumed % config.checkpointEvery() == 0) commit(batch.end);
                        progress.update(consumed, batch.bytesRead, stats.tokensOut());
                        batch = next != null ? next : read(reader, consumed);
                    }
                } finally {
                    progress.finish();
                }
                return finish(reader.position());
            }
        }

        /**
         * One batch read from {@code reader} after {@code consumedBefore} records: its items (good records
         * in {@code records}), the reader's position and bytes read after it, and the bad input that stops
         * the run before it is processed, if one came up (with --on-error fail).
         */
        private record Batch(List<InputRecord> items, List<KunRecord> records, Position end, long bytesRead, InputRecord stop) {}

        private Batch read(RecordReader reader, long consumedBefore) throws IOException {
            // Batches never straddle a checkpoint, so checkpoints sit at fixed record counts.
            int room = Math.min(Math.max(1, stage.batchSize()),
                    config.checkpointEvery() - (int) (consumedBefore % config.checkpointEvery()));
            List<InputRecord> items = new ArrayList<>();
            List<KunRecord> records = new ArrayList<>();
            InputRecord item;
            InputRecord stop = null;
            while (items.size() < room && (item = reader.next()) != null) {
                if (item.isBad() && config.onError() == OnError.FAIL) {
                    stop = item;
                    break;
                }
                items.add(item);
                if (!item.isBad()) records.add(item.record());
            }
            return new Batch(items, records, reader.position(), reader.bytesRead(), stop);
        }

        /** Opens the output and rejects, cut back to what {@code checkpoint} committed (from the start without one). */
        private void openWriters(Checkpoint checkpoint) throws IOException {
            long outBytes = checkpoint == null ? 0 : checkpoint.outputBytes();
            long rejectBytes = checkpoint == null ? 0 : checkpoint.rejectsBytes();
            if (checkpoint != null) {
                Resume.requireLength(targets.output.part(), outBytes);
                if (targets.rejects != null && !targets.rejects.special) Resume.requireLength(targets.rejects.part(), rejectBytes);
            }
            out = targets.output == null ? JsonlWriter.to(System.out) : targets.output.open(outBytes);
            if (targets.rejects != null) rejects = new RejectWriter(targets.rejects.open(rejectBytes));
        }

        private void process(List<InputRecord> batch, List<KunRecord> records) throws IOException {
            List<Outcome> outcomes = records.isEmpty() ? List.of() : stage.process(records);
            if (outcomes.size() != records.size()) {
                throw new IllegalStateException("stage " + stage.name() + " returned " + outcomes.size()
                        + " outcomes for " + records.size() + " records");
            }
            int next = 0;
            for (InputRecord item : batch) {
                if (item.isBad()) {
                    skipBadInput(item.source(), item.reason(), item.message(), item.raw(), null);
                    continue;
                }
                Outcome outcome = outcomes.get(next++);
                KunRecord record = outcome.record() != null ? outcome.record() : item.record();
                String broken = record.loneSurrogateField();
                if (broken != null) {
                    // Checked here, on the way out, so it covers text from the input and text a stage made.
                    String message = "field '" + broken + "' holds a lone surrogate (not valid Unicode)";
                    if (config.onError() == OnError.FAIL) throw badInput(item.source(), message);
                    // The record cannot be written as fields (no UTF-8 form), so it goes whole into raw, escaped.
                    skipBadInput(item.source(), "invalid_unicode", message, Json.escapedText(record.json()), null);
                } else if (outcome.isBadInput()) {
                    if (config.onError() == OnError.FAIL) throw badInput(item.source(), outcome.badInputMessage());
                    skipBadInput(item.source(), outcome.dropReason(), outcome.badInputMessage(), null, record);
                } else if (outcome.isKept()) {
                    out.write(record);
                    stats.kept(outcome.tokensIn(), outcome.tokensOut());
                } else {
                    stats.dropped(outcome.dropReason(), outcome.tokensIn(), outcome.tokensOut());
                    if (rejects != null) {
                        rejects.write(RejectWriter.reject(record, stage.name(), outcome.dropReason(), item.source()));
                    }
                }
            }
        }

        private void skipBadInput(String source, String reason, String message, String raw, KunRecord record) throws IOException {
            stats.badInput(reason);
            if (loggedBadInput++ < LOGGED_BAD_INPUT) {
                Log.LOG.warn("{}: {} (skipped{})", source, message, loggedBadInput == LOGGED_BAD_INPUT ? "; further ones only counted" : "");
            }
            if (rejects != null) {
                ObjectNode reject = RejectWriter.reject(record, stage.name(), reason, source, message, raw);
                rejects.write(reject);
            }
        }

        private KunException badInput(String source, String message) {
            return KunException.badInput(source + ": " + message);
        }

        /**
         * Makes everything so far durable, then records it in the checkpoint: the previous commit is awaited,
         * both writers flushed, and the fsyncs and checkpoint write handed to the {@link BackgroundCommitter}
         * while the next records are processed. The checkpoint names only bytes already flushed.
         */
        private void commit(Position position) throws IOException {
            committer.await();
            long outBytes = out.flush();
            long rejectBytes = rejects == null ? 0 : rejects.flush();
            ObjectNode committedStats = statsNow();
            if (!resumable) {
                out.sync();
                if (rejects != null) rejects.sync();
                listener.committed(StageStats.fromJson(committedStats));
                return;
            }
            Checkpoint checkpoint = new Checkpoint(false, resume.fingerprint(), position, consumed, outBytes, rejectBytes,
                    committedStats, targets.statsName());
            committer.submit(out, rejects, checkpoint, resume.checkpointPath());
            listener.committed(StageStats.fromJson(committedStats));
        }

        private ObjectNode statsNow() {
            StageStats now = StageStats.fromJson(stats.toJson(false));
            now.addSeconds(previousSeconds + (System.nanoTime() - startNanos) / 1e9);
            return now.toJson(true);
        }

        /** Commits the last records, writes the stats, marks the checkpoint complete, then renames the .part files. */
        private StageStats finish(Position position) throws IOException {
            committer.await();
            long outBytes = out.commit();
            long rejectBytes = rejects == null ? 0 : rejects.commit();
            out.close();
            if (rejects != null) rejects.close();
            // Never mark complete what this run did not write in full: the .part files must be the ones it
            // opened, with the bytes it wrote (the locks keep other kun runs off them; this catches the rest).
            if (targets.outputIsFile()) targets.output.requireIntact(outBytes);
            if (targets.rejects != null && !targets.rejects.special) targets.rejects.requireIntact(rejectBytes);
            ObjectNode finalStats = statsNow();
            if (targets.stats != null) {
                targets.stats.writeWhole((Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(finalStats) + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            if (resume.checkpointPath() != null) {
                // Complete first, then rename: a rerun that finds "complete" only has to finish the renames.
                // A stdin run writes it too: it marks the output as kun's, which a later stdin run may replace.
                new Checkpoint(true, resume.fingerprint(), position, consumed, outBytes, rejectBytes, finalStats,
                        targets.statsName()).write(resume.checkpointPath());
            }
            if (targets.rejects != null && !targets.rejects.special) targets.rejects.moveIntoPlace();
            if (targets.outputIsFile()) targets.output.moveIntoPlace();
            listener.committed(StageStats.fromJson(finalStats));
            return StageStats.fromJson(finalStats);
        }
    }
}
