package dev.kun.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.pipeline.StageStats;
import dev.kun.record.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * The funnel report of a run, {@code W/report.json} and {@code W/report.html}: records in and out of each
 * stage with the reasons they were dropped (each stage's own counters, as its {@code --stats} file has
 * them), tokens, time and throughput, the length distribution of each model's generations, and a few kept
 * and rejected examples. Written at every checkpoint and stage end, and at the end; both files are
 * replaced atomically, so a reader never sees half of one. Safe to call from the Ctrl-C hook's thread.
 */
final class FunnelReport {
    static final int FORMAT = 1;

    private final WorkDir work;
    private final List<Step> steps;
    private final List<String> inputs;
    private final String finalPath;
    private final String format;
    private final String[] state;
    private final ObjectNode[] stats;
    private final StageDigest[] digests;
    private final ObjectNode[] abouts;
    private ObjectNode exportStats;
    private long ledgerRecords = -1;
    private String status = "running";
    private String message;

    FunnelReport(WorkDir work, List<Step> steps, List<String> inputs, String finalPath, String format) {
        this.work = work;
        this.steps = steps;
        this.inputs = inputs;
        this.finalPath = finalPath;
        this.format = format;
        this.state = new String[steps.size()];
        this.stats = new ObjectNode[steps.size()];
        this.digests = new StageDigest[steps.size()];
        java.util.Arrays.fill(state, "pending");
        this.abouts = new ObjectNode[steps.size()];
        for (int i = 0; i < abouts.length; i++) abouts[i] = steps.get(i).about().deepCopy();
    }

    synchronized void running(int i) {
        state[i] = "running";
    }

    /** What stage {@code i} says about its settings once built, beside its step's. */
    synchronized void about(int i, ObjectNode more) {
        abouts[i].setAll(more);
    }

    /** Counters of stage {@code i} as of its latest checkpoint. */
    synchronized void progress(int i, StageStats s) {
        stats[i] = s.toJson(true);
    }

    synchronized void complete(int i, ObjectNode finalStats, StageDigest digest) {
        state[i] = "complete";
        stats[i] = finalStats;
        digests[i] = digest;
    }

    synchronized void exported(ObjectNode finalStats) {
        exportStats = finalStats;
    }

    synchronized void ledger(long records) {
        ledgerRecords = records;
    }

    /** The run's end: "complete", "interrupted" or "failed", with a line saying why. */
    synchronized void finish(String status, String message) {
        this.status = status;
        this.message = message;
        for (int i = 0; i < state.length; i++) {
            if (state[i].equals("running")) state[i] = status.equals("complete") ? "complete" : status;
        }
    }

    synchronized ObjectNode toJson() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("kun_report", FORMAT);
        n.put("status", status);
        if (message != null) n.put("message", message);
        n.put("updated", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        n.put("work_dir", work.dir().toString());
        ArrayNode in = n.putArray("inputs");
        inputs.forEach(in::add);
        ArrayNode stages = n.putArray("stages");
        for (int i = 0; i < steps.size(); i++) {
            Step step = steps.get(i);
            ObjectNode s = stages.addObject();
            s.put("index", i + 1);
            s.put("name", step.name());
            s.put("state", state[i]);
            s.put("output", work.output(i + 1, step).getFileName().toString());
            s.put("rejects", work.rejects(i + 1, step).getFileName().toString());
            s.set("about", abouts[i].deepCopy());
            if (stats[i] != null) {
                s.set("stats", stats[i]);
                double seconds = stats[i].path("seconds").asDouble();
                if (seconds > 0) {
                    s.put("records_per_second", round(stats[i].path("total").asLong() / seconds));
                    s.put("tokens_in_per_second", round(stats[i].path("tokens_in").asLong() / seconds));
                    s.put("tokens_out_per_second", round(stats[i].path("tokens_out").asLong() / seconds));
                }
            }
            if (digests[i] != null) {
                ObjectNode generation = digests[i].generationJson();
                // A model stage that generated no token (a verdict read from logits) has no lengths to show.
                boolean generated = stats[i] != null && stats[i].path("tokens_out").asLong() > 0;
                if (generation != null && generated) s.set("generation", generation);
                s.set("examples", digests[i].examplesJson());
            }
        }
        ObjectNode fin = n.putObject("final");
        fin.put("path", finalPath);
        fin.put("format", format);
        if (exportStats != null) {
            fin.put("records", exportStats.path("kept").asLong());
            fin.set("stats", exportStats);
        }
        ObjectNode ledger = n.putObject("ledger");
        ledger.put("path", work.ledger().getFileName().toString());
        if (ledgerRecords >= 0) ledger.put("records", ledgerRecords);
        n.set("accounted", accounted());
        return n;
    }

    /**
     * Documents in against final records plus ledger records: equal when every document ended in exactly
     * one of them. Only known once the final dataset is written.
     */
    private ObjectNode accounted() {
        ObjectNode a = Json.MAPPER.createObjectNode();
        if (stats.length == 0 || stats[0] == null || exportStats == null || ledgerRecords < 0) return a;
        long in = stats[0].path("total").asLong();
        long out = exportStats.path("kept").asLong();
        a.put("documents_in", in);
        a.put("final", out);
        a.put("ledger", ledgerRecords);
        a.put("balanced", in == out + ledgerRecords);
        return a;
    }

    private static double round(double x) {
        return Math.round(x * 100) / 100.0;
    }

    /** Replaces report.json and report.html with the state now. */
    synchronized void write() throws IOException {
        ObjectNode json = toJson();
        replace(work.reportJson(), (Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n")
                .getBytes(StandardCharsets.UTF_8));
        replace(work.reportHtml(), ReportPage.render(json).getBytes(StandardCharsets.UTF_8));
    }

    private static void replace(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Reads a stats file the runner wrote. */
    static ObjectNode readStats(Path file) throws IOException {
        JsonNode n = Json.MAPPER.readTree(file.toFile());
        if (!(n instanceof ObjectNode o)) throw new IOException(file + ": not a stats object");
        return o;
    }
}
