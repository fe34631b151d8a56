package dev.kun.pipeline;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.record.InputFile;
import dev.kun.record.InputFormat;
import dev.kun.record.InputRecord;
import dev.kun.record.Json;
import dev.kun.record.JsonlWriter;
import dev.kun.record.KunRecord;
import dev.kun.record.ReadOptions;
import dev.kun.record.RecordReader;
import dev.kun.record.RecordReader.Position;
import dev.kun.record.RejectWriter;
import dev.kun.record.StdoutClosedException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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
 * {@code FILE.checkpoint} is replaced atomically (see {@link Checkpoint}). Rerun with the same
 * arguments after a crash, even SIGKILL, cuts the .part files back to the checkpoint, replays the
 * committed output through {@link Stage#restore}, skips the consumed input and goes on; the result is
 * byte-identical to a run that never stopped. At the end the .part files are renamed and the
 * checkpoint says {@code complete}; rerunning then prints "already complete" unless {@code --force}.
 * Checkpoints sit at fixed record counts, never at times, so output bytes never depend on timing.
 */
public final class StageRunner {
    /** Made on the first message, so a run that logs nothing never starts logback (see LoggingOptions). */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(StageRunner.class);
    }
    private static final int LOGGED_BAD_INPUT = 10;
    /** Linux's own limit on links followed in one path lookup. */
    private static final int MAX_LINK_HOPS = 40;

    private final RunConfig config;

    /** The usual way in: a command builds {@code config} from its option mixins. */
    public StageRunner(RunConfig config) {
        this.config = config;
    }

    /** The same runner with plain text landing in {@code field} instead of {@code text}. */
    public StageRunner plainTextField(String field) {
        return new StageRunner(config.withPlainTextField(field));
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
        try {
            return new Run(stage).execute();
        } catch (StdoutClosedException e) {
            // As `grep ... | head` does: the reader has what it asked for, so no error and no "bug" exit code.
            System.err.println("kun: stdout was closed by its reader; stopped early");
            return ExitCodes.OK;
        } catch (java.nio.file.FileSystemException e) {
            // A path kun cannot use (permissions, a directory where a file goes): the user's to fix, not a bug.
            String why = e.getReason() != null ? e.getReason()
                    : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
                    : e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
                    : e.getClass().getSimpleName();
            throw new KunException(ExitCodes.USAGE, e.getFile() + ": " + why, e);
        } catch (IOException e) {
            throw new KunException(ExitCodes.INTERNAL, "I/O error: " + e.getMessage(), e);
        }
    }

    /** The state of one run. */
    private final class Run {
        private final Stage stage;
        private final List<InputFile> files;
        private final boolean resumable;
        private final Path output;
        private final Path rejectsFile;
        private final Path statsFile;
        private final Path outputPart;
        private final Path checkpointPath;
        private final Path rejectsPart;
        private final ObjectNode fingerprint;
        private final long startNanos = System.nanoTime();
        private StageStats stats;
        private double previousSeconds;
        private long consumed;
        private JsonlWriter out;
        private RejectWriter rejects;
        private long loggedBadInput;
        /** Runs a checkpoint's fsyncs and write while the next records are processed; made at the first one. */
        private ExecutorService syncer;
        /** The checkpoint still being made durable, or null. */
        private Future<?> pendingSync;

        Run(Stage stage) {
            this.stage = stage;
            this.files = InputFile.resolve(config.inputs());
            // A symlink's target is what gets written, and the .part and checkpoint files sit beside the
            // target: the final rename then stays in one directory and leaves the link in place.
            this.output = followLinks(config.output());
            this.rejectsFile = followLinks(config.rejects());
            this.statsFile = followLinks(config.stats());
            boolean outputFile = output != null && !special(output);
            this.resumable = outputFile && files.stream().noneMatch(InputFile::isStream);
            this.outputPart = outputFile ? sibling(output, ".part") : null;
            this.checkpointPath = outputFile ? Checkpoint.pathFor(output) : null;
            this.rejectsPart = rejectsFile == null || special(rejectsFile) ? null : sibling(rejectsFile, ".part");
            this.fingerprint = fingerprint();
            this.stats = new StageStats(stage.name());
        }

        int execute() throws IOException {
            for (Path p : new Path[] {output, rejectsFile, statsFile}) {
                if (p == null) continue;
                // A directory here would be taken for another run's output, and --force would delete it.
                if (Files.isDirectory(p)) throw KunException.usage(p + " is a directory; -o, --rejects and --stats name files");
                Path parent = p.toAbsolutePath().getParent();
                if (parent == null) continue;
                try {
                    Files.createDirectories(parent);
                } catch (IOException e) {
                    throw KunException.usage("cannot create the directory of " + p + ": "
                            + e.getClass().getSimpleName() + " " + e.getMessage());
                }
            }
            refuseToOverwriteInput();
            refuseSharedTargets();
            if (config.force()) discardEarlierRun();
            if (!resumable && checkpointPath != null) {
                // Not resumable (stdin), yet still never the silent overwrite of a file kun did not write.
                if (Files.exists(output) && !Files.exists(checkpointPath)) throw existsWithoutCheckpoint();
                // This run replaces the output and cannot resume: a checkpoint of an earlier run is stale.
                Files.deleteIfExists(checkpointPath);
            }
            Checkpoint checkpoint = resumable && Files.exists(checkpointPath) ? Checkpoint.read(checkpointPath) : null;
            if (checkpoint != null) {
                checkFingerprint(checkpoint);
                if (checkpoint.complete()) return alreadyComplete(checkpoint);
            } else if (output != null && Files.exists(output) && resumable) {
                throw existsWithoutCheckpoint();
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
                Log.LOG.info("resuming {} after {} records (checkpoint {})", stage.name(), consumed, checkpointPath);
            }
            StageStats done;
            try {
                if (checkpoint != null && checkpoint.outputBytes() > 0 && restores(stage)) restoreStage();
                done = stream(start);
            } catch (Throwable t) {
                // Leave the files as a kill would: nothing beyond the last checkpoint counts. A checkpoint in
                // flight may finish first (its bytes were all handed over), but not race the close.
                awaitSyncQuietly();
                out.abort();
                if (rejects != null) rejects.abort();
                throw t;
            } finally {
                if (syncer != null) syncer.shutdown();
            }
            System.err.println(done.summary());
            return ExitCodes.OK;
        }

        private StageStats stream(Position start) throws IOException {
            try (RecordReader reader = new RecordReader(files, config.read(), start, stage.compactRecords())) {
                Progress progress = new Progress(config.progress(), stage.name(), RecordReader.totalBytes(files),
                        consumed, reader.bytesRead());
                try {
                    List<InputRecord> batch = new ArrayList<>();
                    while (true) {
                        // Batches never straddle a checkpoint, so checkpoints sit at fixed record counts.
                        int room = Math.min(Math.max(1, stage.batchSize()),
                                config.checkpointEvery() - (int) (consumed % config.checkpointEvery()));
                        batch.clear();
                        InputRecord item;
                        while (batch.size() < room && (item = reader.next()) != null) {
                            if (item.isBad() && config.onError() == OnError.FAIL) throw badInput(item.source(), item.message());
                            batch.add(item);
                        }
                        if (batch.isEmpty()) break;
                        process(batch);
                        consumed += batch.size();
                        if (consumed % config.checkpointEvery() == 0) commit(reader.position());
                        progress.update(consumed, reader.bytesRead());
                    }
                } finally {
                    progress.finish();
                }
                return finish(reader.position());
            }
        }

        private void refuseToOverwriteInput() throws IOException {
            for (Path target : new Path[] {output, rejectsFile, statsFile}) {
                if (target == null || !Files.exists(target)) continue;
                for (InputFile f : files) {
                    if (f.path() != null && Files.exists(f.path()) && Files.isSameFile(f.path(), target)) {
                        throw KunException.usage(target + " is also an input; write the output somewhere else");
                    }
                }
            }
        }

        private KunException existsWithoutCheckpoint() {
            return KunException.usage(output + " exists and has no checkpoint, so it may be another run's"
                    + " finished output; rerun with --force to overwrite it");
        }

        /** Output, rejects and stats in one file would overwrite each other (or lock the same .part twice). */
        private void refuseSharedTargets() {
            Path[] targets = {output, rejectsFile, statsFile};
            String[] names = {"-o", "--rejects", "--stats"};
            for (int i = 0; i < targets.length; i++) {
                for (int j = i + 1; j < targets.length; j++) {
                    // Sharing /dev/null or /dev/stderr is fine: they are written in place, never renamed over.
                    if (targets[i] != null && targets[j] != null && !special(targets[i])
                            && targets[i].toAbsolutePath().normalize().equals(targets[j].toAbsolutePath().normalize())) {
                        throw KunException.usage(names[i] + " and " + names[j] + " both name " + targets[j]
                                + "; give each its own file");
                    }
                }
            }
        }

        private void discardEarlierRun() throws IOException {
            for (Path p : new Path[] {checkpointPath, outputPart, output, rejectsPart, rejectsFile}) {
                if (p != null && !special(p)) Files.deleteIfExists(p);
            }
        }

        private void checkFingerprint(Checkpoint checkpoint) {
            // Compare as text: a number read back from JSON may be an int node where ours is a long.
            if (checkpoint.fingerprint().toString().equals(fingerprint.toString())) return;
            String what = "arguments";
            for (var it = fingerprint.fieldNames(); it.hasNext(); ) {
                String key = it.next();
                if (!fingerprint.get(key).toString().equals(String.valueOf(checkpoint.fingerprint().get(key)))) {
                    what = key.replace('_', ' ');
                    break;
                }
            }
            throw KunException.usage(checkpointPath + " was written by a run with different " + what
                    + "; rerun with the same arguments to resume, or with --force to start over");
        }

        private int alreadyComplete(Checkpoint checkpoint) throws IOException {
            // A crash between marking complete and renaming leaves .part files: finish the renames.
            if (rejectsPart != null && Files.exists(rejectsPart)) moveIntoPlace(rejectsPart, rejectsFile);
            if (Files.exists(outputPart)) moveIntoPlace(outputPart, output);
            if (!Files.exists(output)) {
                throw KunException.usage(checkpointPath + " says the run is complete but " + output
                        + " is missing; rerun with --force to redo it");
            }
            System.err.println("kun: " + output + " is already complete (" + checkpointPath
                    + "); use --force to redo it");
            System.err.println(StageStats.fromJson(checkpoint.stats()).summary());
            return ExitCodes.OK;
        }

        private void openWriters(Checkpoint checkpoint) throws IOException {
            long outBytes = checkpoint == null ? 0 : checkpoint.outputBytes();
            long rejectBytes = checkpoint == null ? 0 : checkpoint.rejectsBytes();
            if (checkpoint != null) {
                requireLength(outputPart, outBytes);
                if (rejectsPart != null) requireLength(rejectsPart, rejectBytes);
            }
            out = output == null ? JsonlWriter.to(System.out)
                    : outputPart == null ? JsonlWriter.toSpecialFile(output, JsonlWriter.gzipName(output))
                    : JsonlWriter.resume(outputPart, outBytes, JsonlWriter.gzipName(output));
            if (rejectsPart != null) {
                rejects = new RejectWriter(JsonlWriter.resume(rejectsPart, rejectBytes, JsonlWriter.gzipName(rejectsFile)));
            } else if (rejectsFile != null) {
                rejects = new RejectWriter(JsonlWriter.toSpecialFile(rejectsFile, JsonlWriter.gzipName(rejectsFile)));
            }
        }

        private void requireLength(Path part, long committed) throws IOException {
            long size = Files.exists(part) ? Files.size(part) : -1;
            if (size < committed) {
                throw KunException.usage(part + " is shorter (" + size + " bytes) than its checkpoint says ("
                        + committed + "); rerun with --force to start over");
            }
        }

        /** Replays the committed output so a stateful stage (deduplication) is exactly where it was. */
        private void restoreStage() throws IOException {
            ReadOptions read = new ReadOptions(InputFormat.JSONL, config.read().split(), "text", Integer.MAX_VALUE - 16);
            List<InputFile> part = List.of(new InputFile(outputPart.toString(), outputPart, Files.size(outputPart), 0));
            long n = 0;
            try (RecordReader committed = new RecordReader(part, read)) {
                InputRecord item;
                while ((item = committed.next()) != null) {
                    if (item.isBad()) {
                        if ("empty_file".equals(item.reason())) break;
                        throw KunException.usage(item.source() + ": damaged partial output (" + item.message()
                                + "); rerun with --force to start over");
                    }
                    stage.restore(item.record());
                    n++;
                }
            }
            Log.LOG.debug("restored {} committed records into stage {}", n, stage.name());
        }

        private void process(List<InputRecord> batch) throws IOException {
            List<KunRecord> records = new ArrayList<>(batch.size());
            for (InputRecord item : batch) {
                if (!item.isBad()) records.add(item.record());
            }
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
                    skipBadInput(item.source(), "invalid_unicode", message, null, null);
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
         * Makes everything so far durable, then records it in the checkpoint. The fsyncs wait for the disk,
         * not the CPU (~0.25 s for the 100000 records of a filter checkpoint, a sixth of its run time), so a
         * resumable run hands them and the checkpoint write to {@link #syncer} and goes on with the next
         * records. The checkpoint still names only bytes already flushed and is written only after they
         * are on disk; the previous one is waited for first, so they land in order, one at a time.
         */
        private void commit(Position position) throws IOException {
            awaitSync();
            long outBytes = out.flush();
            long rejectBytes = rejects == null ? 0 : rejects.flush();
            JsonlWriter output = out;
            RejectWriter rejected = rejects;
            if (!resumable) {
                output.sync();
                if (rejected != null) rejected.sync();
                return;
            }
            Checkpoint checkpoint = new Checkpoint(false, fingerprint, position, consumed, outBytes, rejectBytes, statsNow());
            if (syncer == null) {
                syncer = Executors.newSingleThreadExecutor(task -> {
                    Thread t = new Thread(task, "kun-checkpoint");
                    t.setDaemon(true);
                    return t;
                });
            }
            pendingSync = syncer.submit(() -> {
                output.sync();
                if (rejected != null) rejected.sync();
                checkpoint.write(checkpointPath);
                return null;
            });
        }

        /** Waits for the checkpoint in flight, if any, and rethrows its failure. */
        private void awaitSync() throws IOException {
            Future<?> pending = pendingSync;
            if (pending == null) return;
            pendingSync = null;
            try {
                pending.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while a checkpoint was written");
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof IOException io) throw io;
                if (cause instanceof RuntimeException re) throw re;
                if (cause instanceof Error error) throw error;
                throw new IOException(cause);
            }
        }

        private void awaitSyncQuietly() {
            try {
                awaitSync();
            } catch (IOException | RuntimeException | Error e) {
                // Already failing; the original error is the one to report.
            }
        }

        private ObjectNode statsNow() {
            StageStats now = StageStats.fromJson(stats.toJson(false));
            now.addSeconds(previousSeconds + (System.nanoTime() - startNanos) / 1e9);
            return now.toJson(true);
        }

        private StageStats finish(Position position) throws IOException {
            awaitSync();
            long outBytes = out.commit();
            long rejectBytes = rejects == null ? 0 : rejects.commit();
            out.close();
            if (rejects != null) rejects.close();
            ObjectNode finalStats = statsNow();
            if (statsFile != null) {
                byte[] json = (Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(finalStats) + "\n")
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                if (special(statsFile)) {
                    Files.write(statsFile, json);
                } else {
                    Checkpoint.writeAtomically(statsFile, json);
                }
            }
            if (checkpointPath != null) {
                // Complete first, then rename: a rerun that finds "complete" only has to finish the renames.
                // A stdin run writes it too: it marks the output as kun's, which a later stdin run may replace.
                new Checkpoint(true, fingerprint, position, consumed, outBytes, rejectBytes, finalStats).write(checkpointPath);
            }
            if (rejectsPart != null) moveIntoPlace(rejectsPart, rejectsFile);
            if (outputPart != null) moveIntoPlace(outputPart, output);
            return StageStats.fromJson(finalStats);
        }

        private void moveIntoPlace(Path part, Path target) throws IOException {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Checkpoint.syncDirectory(target);
        }

        /** What must match for a checkpoint to be resumed: the stage, its settings, the inputs, the options that shape output. */
        private ObjectNode fingerprint() {
            ObjectNode fp = Json.MAPPER.createObjectNode();
            fp.put("stage", stage.name());
            fp.put("stage_settings", stage.fingerprint());
            ArrayNode inputs = fp.putArray("inputs");
            for (InputFile f : files) {
                inputs.addObject().put("name", f.name()).put("size", f.size()).put("modified", f.modifiedMillis());
            }
            ReadOptions read = config.read();
            fp.put("input_format", read.format().name().toLowerCase(java.util.Locale.ROOT)
                    + "/" + read.split().name().toLowerCase(java.util.Locale.ROOT) + "/" + read.textField());
            fp.put("max_line_bytes", read.maxLineBytes());
            fp.put("on_error", config.onError().name().toLowerCase(java.util.Locale.ROOT));
            fp.put("checkpoint_every", config.checkpointEvery());
            fp.put("rejects", config.rejects() == null ? null : config.rejects().toString());
            return fp;
        }
    }

    /** False when the stage keeps {@link Stage#restore}'s no-op: then replaying gigabytes of output is pointless. */
    static boolean restores(Stage stage) {
        try {
            return stage.getClass().getMethod("restore", KunRecord.class).getDeclaringClass() != Stage.class;
        } catch (NoSuchMethodException e) {
            return true;
        }
    }

    /**
     * An existing file that is not a regular one (/dev/null, /dev/stderr, a named pipe): written in place,
     * never replaced by a rename or deleted by --force, and so not resumable.
     */
    private static boolean special(Path p) {
        if (!Files.exists(p) || Files.isDirectory(p)) return false;
        Path abs = p.toAbsolutePath().normalize();
        // /dev/stdout may lead to a regular file, but renaming over it would replace the link in /dev.
        return !Files.isRegularFile(p) || abs.startsWith("/dev") || abs.startsWith("/proc");
    }

    /**
     * The file a write to {@code p} lands in: {@code p} itself, or where its chain of symbolic links ends,
     * existing or not (as the shell's {@code >} creates a dangling link's target). Devices and pipes are
     * written in place through their links, so a link that ends in one is kept as given.
     */
    static Path followLinks(Path p) {
        if (p == null || special(p)) return p;
        Path current = p;
        for (int hops = 0; hops < MAX_LINK_HOPS; hops++) {
            if (!Files.isSymbolicLink(current)) return current;
            try {
                // A relative target is relative to the link's directory, as the kernel reads it; no
                // normalize(): "dir/.." is not "." when dir is itself a link.
                Path parent = current.toAbsolutePath().getParent();
                current = parent.resolve(Files.readSymbolicLink(current));
            } catch (IOException e) {
                throw KunException.usage(p + ": cannot read the symbolic link (" + e.getMessage() + ")");
            }
        }
        throw KunException.usage(p + ": too many levels of symbolic links");
    }

    private static Path sibling(Path p, String suffix) {
        return p.resolveSibling(p.getFileName() + suffix);
    }
}
