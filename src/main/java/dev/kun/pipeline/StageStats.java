package dev.kun.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.record.Json;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * A stage run's counters in the one vocabulary every stage reports: {@code total} input items =
 * {@code kept} + {@code dropped} (the stage said no) + {@code bad_input} (the input was broken),
 * with {@code dropped_<reason>} and {@code bad_input_<reason>} per reason, tokens in and out and
 * wall-clock seconds. Counters survive a resume through the checkpoint, so they add up across runs.
 */
public final class StageStats {
    private final String stage;
    private long total;
    private long kept;
    private long dropped;
    private long badInput;
    private final Map<String, Long> droppedBy = new TreeMap<>();
    private final Map<String, Long> badInputBy = new TreeMap<>();
    private long tokensIn;
    private long tokensOut;
    private double seconds;

    public StageStats(String stage) {
        this.stage = stage;
    }

    public void kept(long in, long out) {
        total++;
        kept++;
        tokens(in, out);
    }

    public void dropped(String reason, long in, long out) {
        total++;
        dropped++;
        droppedBy.merge(reason, 1L, Long::sum);
        tokens(in, out);
    }

    public void badInput(String reason) {
        total++;
        badInput++;
        badInputBy.merge(reason, 1L, Long::sum);
    }

    private void tokens(long in, long out) {
        tokensIn += in;
        tokensOut += out;
    }

    public void addSeconds(double s) {
        seconds += s;
    }

    public long total() {
        return total;
    }

    public long kept() {
        return kept;
    }

    public long dropped() {
        return dropped;
    }

    public long badInput() {
        return badInput;
    }

    public double seconds() {
        return seconds;
    }

    public long tokensIn() {
        return tokensIn;
    }

    public long tokensOut() {
        return tokensOut;
    }

    public String stage() {
        return stage;
    }

    /** Dropped records per reason, in reason order. */
    public Map<String, Long> droppedByReason() {
        return java.util.Collections.unmodifiableMap(droppedBy);
    }

    /** Bad input per reason, in reason order. */
    public Map<String, Long> badInputByReason() {
        return java.util.Collections.unmodifiableMap(badInputBy);
    }

    /** The counters as JSON; {@code withSeconds} false leaves out the only field that depends on timing. */
    public ObjectNode toJson(boolean withSeconds) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("stage", stage);
        n.put("total", total);
        n.put("kept", kept);
        n.put("dropped", dropped);
        n.put("bad_input", badInput);
        droppedBy.forEach((r, c) -> n.put("dropped_" + r, c));
        badInputBy.forEach((r, c) -> n.put("bad_input_" + r, c));
        n.put("tokens_in", tokensIn);
        n.put("tokens_out", tokensOut);
        if (withSeconds) n.put("seconds", Math.round(seconds * 1000) / 1000.0);
        return n;
    }

    /** Rebuilds counters from {@link #toJson} output (a checkpoint's). */
    public static StageStats fromJson(JsonNode n) {
        StageStats s = new StageStats(n.path("stage").asText());
        s.total = n.path("total").asLong();
        s.kept = n.path("kept").asLong();
        s.dropped = n.path("dropped").asLong();
        s.badInput = n.path("bad_input").asLong();
        s.tokensIn = n.path("tokens_in").asLong();
        s.tokensOut = n.path("tokens_out").asLong();
        s.seconds = n.path("seconds").asDouble();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().startsWith("dropped_")) s.droppedBy.put(e.getKey().substring(8), e.getValue().asLong());
            if (e.getKey().startsWith("bad_input_")) s.badInputBy.put(e.getKey().substring(10), e.getValue().asLong());
        }
        return s;
    }

    /** One line for stderr: "filter: 1000 records, 900 kept, 95 dropped (repetition 60, ...), 5 bad input, 2.1 s". */
    public String summary() {
        StringBuilder b = new StringBuilder();
        b.append(stage).append(": ").append(total).append(" records, ").append(kept).append(" kept, ")
                .append(dropped).append(" dropped");
        appendReasons(b, droppedBy);
        b.append(", ").append(badInput).append(" bad input");
        appendReasons(b, badInputBy);
        if (tokensIn + tokensOut > 0) b.append(", tokens ").append(tokensIn).append(" in / ").append(tokensOut).append(" out");
        b.append(String.format(java.util.Locale.ROOT, ", %.1f s", seconds));
        return b.toString();
    }

    private static void appendReasons(StringBuilder b, Map<String, Long> byReason) {
        if (byReason.isEmpty()) return;
        b.append(" (");
        int i = 0;
        for (Map.Entry<String, Long> e : byReason.entrySet()) {
            if (i++ > 0) b.append(", ");
            b.append(e.getKey()).append(' ').append(e.getValue());
        }
        b.append(')');
    }
}
