package dev.kun.pipeline;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.KunException;
import dev.kun.record.InputFile;
import dev.kun.record.InputFormat;
import dev.kun.record.InputRecord;
import dev.kun.record.Json;
import dev.kun.record.KunRecord;
import dev.kun.record.ReadOptions;
import dev.kun.record.RecordReader;
import dev.kun.record.RecordReader.Position;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Where a run starts: from nothing, or from the checkpoint an earlier run with the same arguments left
 * ({@code OUTPUT.checkpoint}). Owns the fingerprint that says which arguments those are, the refusal of a
 * checkpoint written under others or out of step with the files (a position past the input, .part files
 * shorter than committed, finished files changed since), and the replay of the committed output through
 * {@link Stage#restore} so a stateful stage is where it was.
 */
final class Resume {
    private final OutputTargets targets;
    private final List<InputFile> files;
    /** Null when the output is stdout or a special file. */
    private final Path checkpointPath;
    private final boolean resumable;
    private final ObjectNode fingerprint;
    private final int checkpointEvery;

    Resume(OutputTargets targets, List<InputFile> files, boolean resumable, Stage stage, RunConfig config) {
        this.targets = targets;
        this.files = files;
        this.checkpointPath = targets.outputIsFile() ? Checkpoint.pathFor(targets.output.path) : null;
        this.resumable = resumable;
        this.fingerprint = fingerprint(stage, files, config);
        this.checkpointEvery = config.checkpointEvery();
    }

    Path checkpointPath() {
        return checkpointPath;
    }

    ObjectNode fingerprint() {
        return fingerprint;
    }

    /**
     * The checkpoint to go on from (complete or not), or null to start from the beginning. Refuses a
     * checkpoint written under different arguments or one that does not fit the files, and refuses to
     * start over any output, rejects or stats file kun did not write (see
     * {@link OutputTargets#refuseFilesKunDidNotWrite}).
     */
    Checkpoint load() throws IOException {
        boolean exists = checkpointPath != null && Files.exists(checkpointPath);
        if (!resumable) {
            Checkpoint previous = null;
            if (exists) {
                try {
                    previous = Checkpoint.read(checkpointPath);
                } catch (KunException damaged) {
                    // Its presence still marks the output as kun's; it names nothing else.
                }
            }
            targets.refuseFilesKunDidNotWrite(exists, previous);
            // This run replaces the output and cannot resume: a checkpoint of an earlier run is stale.
            if (exists) Files.deleteIfExists(checkpointPath);
            return null;
        }
        if (!exists) {
            targets.refuseFilesKunDidNotWrite(false, null);
            return null;
        }
        Checkpoint checkpoint = Checkpoint.read(checkpointPath);
        checkFingerprint(checkpoint);
        requireFitsInputs(checkpoint);
        return checkpoint;
    }

    /**
     * The checkpoint's place in the input must exist in the files the fingerprint pinned: a file index in
     * range, a position no further into a plain file than its size, a record count at a checkpoint boundary.
     */
    private void requireFitsInputs(Checkpoint c) throws IOException {
        Position at = c.position();
        if (at.file() > files.size() || (at.file() == files.size() && (at.items() > 0 || at.offset() > 0))) {
            throw Checkpoint.damaged(checkpointPath, "its input position (file " + at.file() + ") is past the "
                    + files.size() + " input files");
        }
        if (at.file() < files.size() && at.offset() > 0) {
            InputFile f = files.get(at.file());
            if (f.size() >= 0 && at.offset() > f.size() && !gzip(f.path())) {
                throw Checkpoint.damaged(checkpointPath, "its input position (byte " + at.offset() + ") is past the end of "
                        + f.name() + " (" + f.size() + " bytes)");
            }
        }
        if (!c.complete() && c.consumed() % checkpointEvery != 0) {
            throw Checkpoint.damaged(checkpointPath, "it commits " + c.consumed() + " records, not a multiple of"
                    + " --checkpoint-every " + checkpointEvery);
        }
        if (c.rejectsBytes() > 0 && targets.rejects == null) {
            throw Checkpoint.damaged(checkpointPath, "it counts rejects bytes but this run writes no rejects file");
        }
    }

    private static boolean gzip(Path p) throws IOException {
        try (var in = Files.newInputStream(p)) {
            return in.read() == 0x1f && in.read() == 0x8b;
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

    /**
     * A rerun of a finished command: finishes the renames a crash may have left undone and says so;
     * nothing is redone. The files must still be the ones the run finished, byte for byte in length.
     */
    void alreadyComplete(Checkpoint checkpoint) throws IOException {
        OutputTarget output = targets.output;
        OutputTarget rejects = targets.rejects;
        // A crash between marking complete and renaming leaves .part files: finish the renames.
        if (rejects != null && !rejects.special && Files.exists(rejects.part())) rejects.moveIntoPlace();
        if (Files.exists(output.part())) output.moveIntoPlace();
        if (!Files.exists(output.path)) {
            throw KunException.usage(checkpointPath + " says the run is complete but " + output
                    + " is missing; rerun with --force to redo it");
        }
        requireLengthOfFinished(output.path, checkpoint.outputBytes());
        if (rejects != null && !rejects.special) requireLengthOfFinished(rejects.path, checkpoint.rejectsBytes());
        System.err.println("kun: " + output + " is already complete (" + checkpointPath + "); use --force to redo it");
        System.err.println(StageStats.fromJson(checkpoint.stats()).summary());
    }

    private void requireLengthOfFinished(Path file, long length) throws IOException {
        long size = Files.exists(file) ? Files.size(file) : -1;
        if (size != length) {
            throw KunException.usage(checkpointPath + " says the run is complete with " + length + " bytes in " + file
                    + ", which has " + (size < 0 ? "gone missing" : size + " bytes") + ": it was changed after kun"
                    + " finished; rerun with --force to redo it");
        }
    }

    /** Refuses a .part file shorter than the bytes its checkpoint committed (someone cut or replaced it). */
    static void requireLength(Path part, long committed) throws IOException {
        long size = Files.exists(part) ? Files.size(part) : -1;
        if (size < committed) {
            throw KunException.usage(part + " is shorter (" + size + " bytes) than its checkpoint says ("
                    + committed + "); rerun with --force to start over");
        }
    }

    /**
     * Replays the committed output (read from {@code part}) so a stateful stage (deduplication) is exactly
     * where it was; returns the number of records replayed.
     */
    static long replay(Stage stage, Path part, ReadOptions options) throws IOException {
        ReadOptions read = new ReadOptions(InputFormat.JSONL, options.split(), "text", Integer.MAX_VALUE - 16);
        List<InputFile> files = List.of(new InputFile(part.toString(), part, Files.size(part), 0));
        long n = 0;
        try (RecordReader committed = new RecordReader(files, read)) {
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
        return n;
    }

    /** False when the stage keeps {@link Stage#restore}'s no-op: then replaying gigabytes of output is pointless. */
    static boolean restores(Stage stage) {
        try {
            return stage.getClass().getMethod("restore", KunRecord.class).getDeclaringClass() != Stage.class;
        } catch (NoSuchMethodException e) {
            return true;
        }
    }

    /** What must match for a checkpoint to be resumed: the stage, its settings, the inputs, the options that shape output. */
    static ObjectNode fingerprint(Stage stage, List<InputFile> files, RunConfig config) {
        ObjectNode fp = Json.MAPPER.createObjectNode();
        fp.put("stage", stage.name());
        fp.put("stage_settings", stage.fingerprint());
        ArrayNode inputs = fp.putArray("inputs");
        for (InputFile f : files) {
            inputs.addObject().put("name", f.name()).put("size", f.size()).put("modified", f.modifiedMillis());
        }
        ReadOptions read = config.read();
        fp.put("input_format", read.format().name().toLowerCase(Locale.ROOT)
                + "/" + read.split().name().toLowerCase(Locale.ROOT) + "/" + read.textField());
        fp.put("max_line_bytes", read.maxLineBytes());
        fp.put("on_error", config.onError().name().toLowerCase(Locale.ROOT));
        fp.put("checkpoint_every", config.checkpointEvery());
        fp.put("rejects", config.rejects() == null ? null : config.rejects().toString());
        return fp;
    }
}
