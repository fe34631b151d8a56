package dev.kun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.Kun;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, {@code kun run} on data-samples with the demo config and its tiny random
 * model, in the real engine: every stage runs, the funnel narrows at judge and records reach the end.
 */
class RunEndToEndTest {
    @TempDir Path dir;

    @Test
    void theReadmeDemoRunsTheWholeMethodOnTheTinyModel() throws Exception {
        Path w = dir.resolve("run");
        Path fin = dir.resolve("final.jsonl");
        String[] args = {"run", "-i", "data-samples/corpus-cmrc2018.jsonl", "-i", "data-samples/corpus-cmrc2018.txt",
            "--config", "data-samples/pipeline.yaml", "--work-dir", w.toString(), "-o", fin.toString()};
        Captured c = Captured.run(new byte[0], () -> Kun.run(args));
        assertEquals(0, c.code(), c.stderr());
        JsonNode report = Json.MAPPER.readTree(w.resolve("report.json").toFile());
        assertEquals("complete", report.get("status").asText());
        assertTrue(report.get("accounted").get("balanced").asBoolean());
        JsonNode judge = report.get("stages").get(3).get("stats");
        assertTrue(judge.get("kept").asLong() > 0 && judge.get("dropped_verdict_bad").asLong() > 0, judge.toString());
        long records = report.get("final").get("records").asLong();
        assertTrue(records > 0, report.toString());
        assertEquals(records, Files.readAllLines(fin).size());
        assertEquals(25, report.get("stages").get(0).get("stats").get("total").asLong());
    }
}
