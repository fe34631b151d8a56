package dev.kun.run;

import java.nio.file.Path;
import java.util.Locale;

/**
 * The files of a run in its work directory: per stage {@code NN-name.jsonl} (its output, the next
 * stage's input), {@code NN-name.rejects.jsonl} and {@code NN-name.stats.json}, each with the runner's
 * {@code .part} and {@code .checkpoint} while it runs; the final export's rejects and stats; the ledger
 * {@code rejects.jsonl}; and the report, {@code report.json} and {@code report.html}.
 */
record WorkDir(Path dir) {

    /** The file stem of the {@code index}-th stage (from 1): "02-label". */
    String stem(int index, Step step) {
        return String.format(Locale.ROOT, "%02d-%s", index, step.name());
    }

    Path output(int index, Step step) {
        return dir.resolve(stem(index, step) + ".jsonl");
    }

    Path rejects(int index, Step step) {
        return dir.resolve(stem(index, step) + ".rejects.jsonl");
    }

    Path stats(int index, Step step) {
        return dir.resolve(stem(index, step) + ".stats.json");
    }

    Path finalRejects() {
        return dir.resolve("final.rejects.jsonl");
    }

    Path finalStats() {
        return dir.resolve("final.stats.json");
    }

    Path ledger() {
        return dir.resolve("rejects.jsonl");
    }

    Path reportJson() {
        return dir.resolve("report.json");
    }

    Path reportHtml() {
        return dir.resolve("report.html");
    }
}
