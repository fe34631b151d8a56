package dev.kun.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.error.KunException;
import dev.kun.record.InputFile;
import dev.kun.record.Json;
import dev.kun.record.RejectWriter;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * The files one run writes (output, rejects, stats; each may be absent) and the checks that keep a run
 * from destroying what it must not: a directory, one of its own inputs, one of the three twice, or a
 * file kun did not write.
 */
final class OutputTargets {
    /** Null when the output is stdout. */
    final OutputTarget output;
    final OutputTarget rejects;
    final OutputTarget stats;
    /** The rejects and stats paths as given: how the fingerprint and the checkpoint name them. */
    private final Path givenRejects;
    private final Path givenStats;

    OutputTargets(RunConfig config) {
        this.output = OutputTarget.of("-o", config.output());
        this.rejects = OutputTarget.of("--rejects", config.rejects());
        this.stats = OutputTarget.of("--stats", config.stats());
        this.givenRejects = config.rejects();
        this.givenStats = config.stats();
    }

    /** The stats path as given, which a checkpoint records so that a later run knows the file is kun's. */
    String statsName() {
        return givenStats == null ? null : givenStats.toString();
    }

    /** The given targets, in option order. */
    List<OutputTarget> all() {
        List<OutputTarget> all = new ArrayList<>(3);
        for (OutputTarget t : new OutputTarget[] {output, rejects, stats}) {
            if (t != null) all.add(t);
        }
        return all;
    }

    /** True when the output is a file that can be written as .part and renamed (not stdout, not a device). */
    boolean outputIsFile() {
        return output != null && !output.special;
    }

    /**
     * Refuses a directory, one of the {@code inputs}, or one file named twice; creates the directories the
     * targets go in.
     */
    void check(List<InputFile> inputs) throws IOException {
        for (OutputTarget t : all()) {
            Path p = t.path;
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
        refuseToOverwriteInput(inputs);
        refuseSharedTargets();
    }

    private void refuseToOverwriteInput(List<InputFile> inputs) throws IOException {
        for (OutputTarget t : all()) {
            if (!Files.exists(t.path)) continue;
            for (InputFile f : inputs) {
                if (f.path() != null && Files.exists(f.path()) && Files.isSameFile(f.path(), t.path)) {
                    throw KunException.usage(t.path + " is also an input; write the output somewhere else");
                }
            }
        }
    }

    /** Output, rejects and stats in one file would overwrite each other (or lock the same .part twice). */
    private void refuseSharedTargets() {
        List<OutputTarget> all = all();
        for (int i = 0; i < all.size(); i++) {
            for (int j = i + 1; j < all.size(); j++) {
                OutputTarget a = all.get(i);
                OutputTarget b = all.get(j);
                // Sharing /dev/null or /dev/stderr is fine: they are written in place, never renamed over.
                if (!a.special && a.path.toAbsolutePath().normalize().equals(b.path.toAbsolutePath().normalize())) {
                    throw KunException.usage(a.option + " and " + b.option + " both name " + b.path + "; give each its own file");
                }
            }
        }
    }

    /**
     * For {@code --force}: deletes an earlier run's checkpoint and its partial or finished files, stats
     * included (never a special file). Called with every target locked, so no live run's files go.
     */
    void discardEarlierRun(Path checkpoint) throws IOException {
        if (checkpoint != null) Files.deleteIfExists(checkpoint);
        for (OutputTarget t : new OutputTarget[] {output, rejects}) {
            if (t == null || t.special) continue;
            Files.deleteIfExists(t.part());
            Files.deleteIfExists(t.path);
        }
        if (stats != null && !stats.special) Files.deleteIfExists(stats.path);
    }

    /**
     * A run that starts from the beginning never replaces a file it cannot show to be kun's. The output:
     * only with a checkpoint beside it (one that could not resume: stdin). Rejects and stats: when that
     * checkpoint names them, when they are empty, or when they read as kun's own (a rejects file whose
     * first line has {@code stage}, {@code reason} and {@code source}; a stats object with {@code stage} and
     * {@code total}), as another kun run's are. Anything else needs {@code --force}. Files that are not
     * regular (/dev/null, pipes) are written in place and never refused.
     */
    void refuseFilesKunDidNotWrite(boolean checkpointExists, Checkpoint previous) {
        if (output != null && !output.special && Files.exists(output.path) && !checkpointExists) {
            throw existsWithoutCheckpoint();
        }
        String rejectsNamed = previous == null || !previous.fingerprint().path("rejects").isTextual() ? null
                : previous.fingerprint().get("rejects").textValue();
        String statsNamed = previous == null ? null : previous.statsFile();
        refuseUnlessNamed(rejects, rejectsNamed, givenRejects);
        refuseUnlessNamed(stats, statsNamed, givenStats);
    }

    private void refuseUnlessNamed(OutputTarget target, String named, Path given) {
        if (target == null || target.special || !Files.exists(target.path)) return;
        if (named != null && named.equals(given.toString())) return;
        if (readsAsKuns(target)) return;
        throw KunException.usage(target + " exists and is not a " + (target == stats ? "stats" : "rejects")
                + " file kun wrote, so it may be something else's; rerun with --force to overwrite it");
    }

    /** Reads at most this much of a file to tell whether it is kun's rejects or stats. */
    private static final int SNIFF_BYTES = 1 << 20;

    private boolean readsAsKuns(OutputTarget target) {
        try {
            if (Files.size(target.path) == 0) return true;
            byte[] head;
            try (InputStream raw = Files.newInputStream(target.path);
                    InputStream in = new BufferedInputStream(raw)) {
                in.mark(2);
                boolean gzip = in.read() == 0x1f && in.read() == 0x8b;
                in.reset();
                head = (gzip ? new GZIPInputStream(in) : in).readNBytes(SNIFF_BYTES);
            }
            String text = new String(head, StandardCharsets.UTF_8);
            if (target == stats) {
                JsonNode n = Json.MAPPER.readTree(text);
                return n != null && n.isObject() && n.has("stage") && n.has("total");
            }
            int nl = text.indexOf('\n');
            JsonNode first = Json.MAPPER.readTree(nl < 0 ? text : text.substring(0, nl));
            return first != null && first.isObject() && first.has(RejectWriter.STAGE) && first.has(RejectWriter.REASON)
                    && first.has(RejectWriter.SOURCE);
        } catch (IOException e) {
            return false; // not readable as either: not shown to be kun's
        }
    }

    private KunException existsWithoutCheckpoint() {
        return KunException.usage(output + " exists and has no checkpoint, so it may be another run's"
                + " finished output; rerun with --force to overwrite it");
    }

    /** The files this run writes, which a directory given as input must not hand back as input. */
    List<Path> ownFiles() {
        List<Path> own = new ArrayList<>();
        for (OutputTarget t : all()) {
            if (!t.special) own.add(t.path);
        }
        return own;
    }
}
