package dev.kun.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.filter.PointPromptExamples.Example;
import dev.kun.testing.Records;
import org.junit.jupiter.api.Test;

class VerdictRuleTest {
    private final Rule kun = new VerdictRule(VerdictMode.KUN, 5);
    private final Rule humpback = new VerdictRule(VerdictMode.HUMPBACK, 5);

    private static String reason(Rule rule, String score) {
        Verdict v = rule.apply(Records.of("instruction", "i", "score", score));
        return v.isKept() ? "kept" : v.dropReason();
    }

    @Test
    void kunKeepsThePointPromptsGoodExamplesAndDropsTheBadOnes() {
        int good = 0;
        for (Example e : PointPromptExamples.all()) {
            String expected = e.verdict().equals("【好】") ? "kept" : "verdict_bad";
            assertEquals(expected, reason(kun, e.verdict()), e.instruction());
            good += expected.equals("kept") ? 1 : 0;
        }
        assertEquals(2, good);
    }

    @Test
    void kunNeedsGoodAndNotBad() {
        assertEquals("kept", reason(kun, "答：【好】"));
        assertEquals("verdict_bad", reason(kun, "【好】……不，【差】"));
        assertEquals("verdict_unparseable", reason(kun, "好"));
        assertEquals("verdict_unparseable", reason(kun, ""));
    }

    @Test
    void humpbackReadsTheFinalScoreLeniently() {
        assertEquals("kept", reason(humpback, "The answer is helpful.\nScore: 5"));
        assertEquals("verdict_low_score", reason(humpback, "Score: 5 at first, but on reflection\nScore: 4"));
        assertEquals("kept", reason(humpback, "score：５"));
        assertEquals("kept", reason(humpback, "SCORE :  5\n"));
        assertEquals("verdict_low_score", reason(humpback, "Score: 4.5"));
        assertEquals("verdict_unparseable", reason(humpback, "Score: five"));
        assertEquals("verdict_unparseable", reason(humpback, "Subscore: 5"));
        assertEquals("verdict_unparseable", reason(humpback, "【好】"));
        assertEquals("kept", reason(new VerdictRule(VerdictMode.HUMPBACK, 4), "Score: 4"));
        assertEquals("verdict_unparseable", reason(humpback, "Score: 12"), "off the 1..5 scale");
        assertEquals("verdict_unparseable", reason(humpback, "Score: 0"));
        assertNull(dev.kun.prompt.Verdicts.lastRating("no rating"));
        assertEquals(12.0, dev.kun.prompt.Verdicts.lastRating("Score:12"));
    }

    @Test
    void missingScoreIsBadInput() {
        assertEquals("missing_field", assertThrows(MissingFieldException.class,
                () -> kun.apply(Records.of("instruction", "i"))).reason());
        assertTrue(assertThrows(MissingFieldException.class, () -> humpback.apply(Records.parse("{\"score\": 5}")))
                .getMessage().contains("'score'"));
    }
}
