package dev.kun.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Helpers of scripts/bench-run.sh, the {@code kun run} figure. {@code corpus}: N documents alternating
 * between the CMRC paragraphs (long) and the COIG-Kun seed set's answers (short), so every size has the
 * same mix; {@code summary}: one line per stage of a run's report.json.
 *
 * <p>usage: RunBenchmark corpus CMRC.jsonl COIG.jsonl OUT.jsonl N | RunBenchmark summary REPORT.json
 */
public final class RunBenchmark {
    private RunBenchmark() {}

    public static void main(String[] args) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        if (args.length == 5 && args[0].equals("corpus")) {
            List<JsonNode> cmrc = read(mapper, Path.of(args[1]));
            List<JsonNode> coig = read(mapper, Path.of(args[2]));
            int n = Integer.parseInt(args[4]);
            if (n > 2 * Math.min(cmrc.size(), coig.size())) throw new IllegalArgumentException("at most " + 2 * Math.min(cmrc.size(), coig.size()) + " documents");
            try (BufferedWriter out = Files.newBufferedWriter(Path.of(args[3]), StandardCharsets.UTF_8)) {
                for (int i = 0; i < n; i++) {
                    JsonNode source = i % 2 == 0 ? cmrc.get(i / 2) : coig.get(i / 2);
                    String text = i % 2 == 0 ? source.get("text").asText() : source.get("output").asText();
                    out.write(mapper.createObjectNode().put("id", source.get("id").asText()).put("text", text).toString());
                    out.write('\n');
                }
            }
        } else if (args.length == 2 && args[0].equals("summary")) {
            JsonNode report = mapper.readTree(Path.of(args[1]).toFile());
            for (JsonNode s : report.get("stages")) {
                JsonNode st = s.get("stats");
                System.out.println(String.format(Locale.ROOT,
                        "  %-18s in %6d  kept %6d  %8.1f s  %9.1f records/s  %9.1f tokens out/s  (%d in, %d out)",
                        s.get("name").asText(), st.get("total").asLong(), st.get("kept").asLong(), st.get("seconds").asDouble(),
                        s.path("records_per_second").asDouble(), s.path("tokens_out_per_second").asDouble(),
                        st.get("tokens_in").asLong(), st.get("tokens_out").asLong()));
            }
            System.out.println("  final              " + report.get("final").get("records").asLong() + " records; ledger "
                    + report.get("ledger").get("records").asLong() + "; balanced " + report.get("accounted").get("balanced"));
        } else {
            System.err.println("usage: RunBenchmark corpus CMRC.jsonl COIG.jsonl OUT.jsonl N | RunBenchmark summary REPORT.json");
            System.exit(2);
        }
    }

    private static List<JsonNode> read(ObjectMapper mapper, Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) out.add(mapper.readTree(line));
        }
        return out;
    }
}
