package dev.kun.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.filter.FilterStage;
import dev.kun.filter.OutputFormat;
import dev.kun.filter.RuleSet;
import dev.kun.pipeline.Outcome;
import dev.kun.record.KunRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Throughput of the filter rules alone (no parsing, no writing), to tell rule cost from I/O cost in
 * {@code scripts/bench-filter.sh}. Usage: {@code FilterRulesBenchmark [FILE.jsonl] [RULES] [SECONDS]}.
 */
public final class FilterRulesBenchmark {
    private FilterRulesBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args.length > 0 ? args[0] : "../shared/data/seed-coig-kun.jsonl");
        String rules = args.length > 1 ? args[1] : "all";
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 10;
        ObjectMapper json = new ObjectMapper();
        List<KunRecord> records = new ArrayList<>();
        long bytes = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            records.add(new KunRecord((ObjectNode) json.readTree(line)));
            bytes += line.getBytes(StandardCharsets.UTF_8).length + 1;
        }
        FilterStage stage = new FilterStage(RuleSet.load(rules), OutputFormat.JSONL);
        long kept = 0;
        long passes = 0;
        long start = System.nanoTime();
        long warmupEnd = start + (long) (seconds * 0.3e9);
        long end = start + (long) (seconds * 1.3e9);
        long measuredStart = 0;
        long measuredPasses = 0;
        while (System.nanoTime() < end) {
            for (Outcome o : stage.process(records)) {
                kept += o.isKept() ? 1 : 0;
            }
            passes++;
            if (measuredStart == 0 && System.nanoTime() >= warmupEnd) {
                measuredStart = System.nanoTime();
                measuredPasses = passes;
            }
        }
        double elapsed = (System.nanoTime() - measuredStart) / 1e9;
        double mb = (double) bytes * (passes - measuredPasses) / 1e6;
        System.out.printf("rules=%s records=%d kept/pass=%d  %.1f MB/s of input JSON, %.0f records/s%n",
                rules, records.size(), kept / passes, mb / elapsed, records.size() * (passes - measuredPasses) / elapsed);
    }
}
