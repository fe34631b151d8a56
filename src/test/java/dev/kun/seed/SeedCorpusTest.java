package dev.kun.seed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.pipeline.Outcome;
import dev.kun.record.KunRecord;
import dev.kun.testing.Records;
import dev.kun.testing.SharedDir;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Near-duplicate removal on real Chinese paragraphs (CMRC 2018, Wikipedia); skipped without ../shared. */
class SeedCorpusTest {

    static List<KunRecord> corpus() throws Exception {
        List<KunRecord> out = new ArrayList<>();
        for (String line : Files.readAllLines(SharedDir.require("data/corpus-cmrc2018.jsonl"), StandardCharsets.UTF_8)) {
            out.add(Records.parse(line));
        }
        return out;
    }

    @Test
    void unrelatedWikipediaParagraphsAreAllKept() throws Exception {
        List<KunRecord> corpus = corpus();
        SeedStage stage = new SeedStage(SeedConfig.defaults(), null, null);
        for (KunRecord r : corpus) {
            Outcome o = stage.process(List.of(r)).get(0);
            assertTrue(o.isKept(), () -> r.id() + " dropped as " + o.dropReason());
        }
    }

    @Test
    void paragraphsWithAFewCharactersChangedAreNearDuplicates() throws Exception {
        List<KunRecord> corpus = corpus();
        SeedStage stage = new SeedStage(SeedConfig.defaults(), null, null);
        for (KunRecord r : corpus) {
            stage.process(List.of(r));
        }
        Random random = new Random(2018);
        int[] caught = new int[4];
        int[] editsPerLevel = {1, 2, 3, 20};
        for (KunRecord r : corpus) {
            for (int level = 0; level < editsPerLevel.length; level++) {
                StringBuilder text = new StringBuilder(r.string("text"));
                for (int e = 0; e < editsPerLevel[level]; e++) {
                    int at = random.nextInt(text.length());
                    if (!Character.isSurrogate(text.charAt(at))) {
                        text.setCharAt(at, (char) (0x4E00 + random.nextInt(0x5000)));
                    }
                }
                // A distinct id and a trailing space: the edited copy is a new record, not an exact copy.
                Outcome o = stage.process(List.of(r.with("id", r.id() + "-edit").with("text", text + " "))).get(0);
                if ("duplicate_near".equals(o.dropReason()) || "duplicate_exact".equals(o.dropReason())) {
                    caught[level]++;
                }
            }
        }
        int n = corpus.size();
        // With 9 bands of 13 rows a pair of Jaccard similarity 0.9 is caught with probability 0.93,
        // 0.95 with 0.996; 3 edits of a 266..980 character paragraph leave 0.89..0.97.
        assertEquals(n, caught[0], "one character changed");
        assertTrue(caught[1] >= n * 0.99, "two characters changed: " + caught[1] + "/" + n);
        assertTrue(caught[2] >= n * 0.97, "three characters changed: " + caught[2] + "/" + n);
        // 20 scattered edits leave a Jaccard similarity of about 0.6-0.85: mostly distinct texts.
        assertTrue(caught[3] < n * 0.3, "twenty characters changed: " + caught[3] + "/" + n);
    }
}
