package dev.kun.pipeline;

import dev.kun.error.KunException;
import dev.kun.record.InputFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The files one run writes (output, rejects, stats; each may be absent) and the checks that keep a run
 * from destroying what it must not: a directory, one of its own inputs, or one of the three twice.
 */
final class OutputTargets {
    /** Null when the output is stdout. */
    final OutputTarget output;
    final OutputTarget rejects;
    final OutputTarget stats;

    OutputTargets(RunConfig config) {
        this.output = OutputTarget.of("-o", config.output());
        this.rejects = OutputTarget.of("--rejects", config.rejects());
        this.stats = OutputTarget.of("--stats", config.stats());
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

    /** For {@code --force}: deletes an earlier run's checkpoint and its partial or finished files (never a special file). */
    void discardEarlierRun(Path checkpoint) throws IOException {
        if (checkpoint != null) Files.deleteIfExists(checkpoint);
        for (OutputTarget t : new OutputTarget[] {output, rejects}) {
            if (t == null || t.special) continue;
            Files.deleteIfExists(t.part());
            Files.deleteIfExists(t.path);
        }
    }
}
