package dev.kun.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StageDigestTest {
    @TempDir Path dir;

    @Test
    void lengthsCountKeptAndJudgedRejectsButNotRefusedOnes() throws Exception {
        StringBuilder out = new StringBuilder();
        for (int len = 1; len <= 10; len++) out.append("{\"id\":\"k").append(len).append("\",\"score\":\"").append("好".repeat(len)).append("\"}\n");
        Files.writeString(dir.resolve("out.jsonl"), out);
        Files.writeString(dir.resolve("rej.jsonl"), """
                {"id":"r1","score":"%s","stage":"judge","reason":"verdict_bad"}
                {"id":"r2","stage":"judge","reason":"prompt_too_long","error":"too long"}
                {"id":"r3","score":"差差","stage":"judge","reason":"verdict_bad"}
                {"id":"r4","score":"差差","stage":"judge","reason":"verdict_bad"}
                {"id":"r5","score":"差","stage":"judge","reason":"verdict_bad"}
                """.formatted("差".repeat(500)));
        StageDigest d = StageDigest.read(dir.resolve("out.jsonl"), dir.resolve("rej.jsonl"), "score", "judge");
        JsonNode g = d.generationJson();
        assertEquals(14, g.get("count").asLong(), "10 kept, 4 judged rejects; the refused one has no generation");
        assertEquals(500, g.get("max").asLong());
        assertEquals(4, g.get("p50").asLong(), "1 1 2 2 2 3 [4] 5 6 7 8 9 10 500: the 7th of 14");
        assertEquals(10, g.get("p90").asLong(), "the 13th of 14");
        assertEquals(1, g.get("buckets").get(5).get("count").asLong(), "500 is in 256-511");
        assertEquals(13, g.get("buckets").get(0).get("count").asLong());
        JsonNode ex = d.examplesJson();
        assertEquals(StageDigest.EXAMPLES, ex.get("kept").size());
        assertEquals(StageDigest.EXAMPLES, ex.get("rejected").get("verdict_bad").size());
        assertEquals(1, ex.get("rejected").get("prompt_too_long").size());
        String cut = ex.get("rejected").get("verdict_bad").get(0).get("score").asText();
        assertEquals(StageDigest.EXAMPLE_CHARS + 1, cut.codePointCount(0, cut.length()), "cut, with an ellipsis");
        assertNull(StageDigest.read(dir.resolve("out.jsonl"), null, null, "seed").generationJson(), "no model, no lengths");
        assertEquals("characters", g.get("unit").asText());
    }

    @Test
    void aStageThatRecordsItsTokenCountsIsMeasuredInTokens() throws Exception {
        Files.writeString(dir.resolve("out.jsonl"), """
                {"id":"a","instruction":"短","kun":{"label":{"generated_tokens":12},"judge":{"generated_tokens":99}}}
                {"id":"b","instruction":"也短","kun":{"label":{"generated_tokens":30}}}
                """);
        JsonNode g = StageDigest.read(dir.resolve("out.jsonl"), null, "instruction", "label").generationJson();
        assertEquals("tokens", g.get("unit").asText());
        assertEquals(2, g.get("count").asLong());
        assertEquals(30, g.get("max").asLong(), "label's own count, not judge's");
        assertEquals(21.0, g.get("mean").asDouble());
    }
}
