package dev.kun.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.record.Json;
import dev.kun.record.RejectWriter;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the report shows of a finished stage beyond its counters, read once from its output and rejects in
 * one streaming pass: the first few kept records and the first few rejects of each reason (long fields
 * cut), and the length distribution of what its model generated. Memory stays bounded whatever the
 * stage's size: a few examples and one counter per length.
 */
final class StageDigest {
    static final int EXAMPLES = 3;
    /** Longest string kept in an example, in code points. */
    static final int EXAMPLE_CHARS = 400;
    /** Lengths are counted exactly up to here; longer ones share the last bucket. */
    static final int EXACT_LENGTHS = 8192;
    /** Bucket lower bounds, in tokens or code points: 0-15, 16-31, 32-63, ..., 4096-8191, 8192 and more. */
    static final int[] BUCKETS = {0, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192};

    private final String field;
    private final String stage;
    private final List<ObjectNode> kept = new ArrayList<>();
    private final Map<String, List<ObjectNode>> rejected = new LinkedHashMap<>();
    private final Lengths tokens = new Lengths();
    private final Lengths characters = new Lengths();

    private StageDigest(String field, String stage) {
        this.field = field;
        this.stage = stage;
    }

    /**
     * Reads {@code output} and {@code rejects} (either may be absent) of stage {@code stage}, whose model
     * writes {@code field} (null for a stage without a model). A generation's length is its
     * {@code generated_tokens} where the stage recorded how it made its field ({@code kun.<stage>}), else the
     * field's characters; a reject with an {@code error} (the prompt did not fit, the backend failed) never
     * got a generation, so it adds no length.
     */
    static StageDigest read(Path output, Path rejects, String field, String stage) throws IOException {
        StageDigest d = new StageDigest(field, stage);
        forEach(output, record -> {
            if (d.kept.size() < EXAMPLES) d.kept.add(example(record));
            d.measure(record);
        });
        forEach(rejects, record -> {
            String reason = record.path(RejectWriter.REASON).asText("");
            List<ObjectNode> examples = d.rejected.computeIfAbsent(reason, r -> new ArrayList<>());
            if (examples.size() < EXAMPLES) examples.add(example(record));
            if (!record.has(RejectWriter.ERROR)) d.measure(record);
        });
        return d;
    }

    private interface RecordAction {
        void accept(ObjectNode record) throws IOException;
    }

    private static void forEach(Path file, RecordAction action) throws IOException {
        if (file == null || !Files.exists(file)) return;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) continue;
                JsonNode node = Json.MAPPER.readTree(line);
                if (node instanceof ObjectNode object) action.accept(object);
            }
        }
    }

    private void measure(ObjectNode record) {
        if (field == null) return;
        JsonNode generated = record.path("kun").path(stage).path("generated_tokens");
        if (generated.isIntegralNumber()) {
            tokens.add(generated.asLong());
            return;
        }
        JsonNode value = record.get(field);
        if (value == null || !value.isTextual()) return;
        String text = value.textValue();
        characters.add(text.codePointCount(0, text.length()));
    }

    /** A length distribution: exact counts up to {@link #EXACT_LENGTHS}, so quantiles are exact too. */
    private static final class Lengths {
        final long[] counts = new long[EXACT_LENGTHS + 1];
        long n;
        long sum;
        long max;

        void add(long length) {
            counts[(int) Math.min(length, EXACT_LENGTHS)]++;
            n++;
            sum += length;
            max = Math.max(max, length);
        }

        /** The smallest length with at least {@code q} of the lengths at or below it (longer ones count as the cap). */
        long quantile(double q) {
            long need = Math.max(1, (long) Math.ceil(q * n));
            long seen = 0;
            for (int len = 0; len <= EXACT_LENGTHS; len++) {
                seen += counts[len];
                if (seen >= need) return len;
            }
            return EXACT_LENGTHS;
        }
    }

    /** The record with every string longer than {@link #EXAMPLE_CHARS} cut, marked with an ellipsis. */
    static ObjectNode example(ObjectNode record) {
        ObjectNode copy = record.deepCopy();
        for (Iterator<Map.Entry<String, JsonNode>> it = copy.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual()) continue;
            String s = e.getValue().textValue();
            if (s.codePointCount(0, s.length()) > EXAMPLE_CHARS) {
                e.setValue(Json.MAPPER.getNodeFactory().textNode(s.substring(0, s.offsetByCodePoints(0, EXAMPLE_CHARS)) + "…"));
            }
        }
        return copy;
    }

    /** {@code {"kept": [...], "rejected": {"reason": [...]}}}. */
    ObjectNode examplesJson() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        ArrayNode k = n.putArray("kept");
        kept.forEach(k::add);
        ObjectNode r = n.putObject("rejected");
        rejected.forEach((reason, list) -> {
            ArrayNode a = r.putArray(reason);
            list.forEach(a::add);
        });
        return n;
    }

    /**
     * The length distribution of the stage's generations, in tokens (or characters of the generated field
     * where the stage did not record its token counts): count, mean, median, 90th percentile, maximum and
     * counts per bucket; null for a stage without a model.
     */
    ObjectNode generationJson() {
        if (field == null) return null;
        boolean inTokens = tokens.n > 0;
        Lengths l = inTokens ? tokens : characters;
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("field", field);
        n.put("unit", inTokens ? "tokens" : "characters");
        n.put("count", l.n);
        if (l.n > 0) {
            n.put("mean", Math.round(10.0 * l.sum / l.n) / 10.0);
            n.put("p50", l.quantile(0.5));
            n.put("p90", l.quantile(0.9));
            n.put("max", l.max);
        }
        ArrayNode buckets = n.putArray("buckets");
        for (int b = 0; b < BUCKETS.length; b++) {
            int from = BUCKETS[b];
            int to = b + 1 < BUCKETS.length ? BUCKETS[b + 1] : EXACT_LENGTHS + 1;
            long count = 0;
            for (int len = from; len < to; len++) count += l.counts[len];
            ObjectNode bucket = buckets.addObject().put("from", from);
            if (b + 1 < BUCKETS.length) bucket.put("to", to - 1);
            bucket.put("count", count);
        }
        return n;
    }
}
