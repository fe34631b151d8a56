package dev.kun.prompt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kun.prompt.Verdicts.Decision;
import org.junit.jupiter.api.Test;

class VerdictsTest {

    @Test
    void kunReadsGoodAndBadMarks() {
        assertEquals(Decision.KEEP, Verdicts.kun("【好】"));
        assertEquals(Decision.BAD, Verdicts.kun("【好】【差】"));
        assertEquals(Decision.UNPARSEABLE, Verdicts.kun("好"));
        assertEquals("verdict_bad", Decision.BAD.reason());
    }

    @Test
    void humpbackTakesTheLastRatingOnTheOneToFiveScale() {
        assertEquals(Decision.KEEP, Verdicts.humpback("Score: 3 ... Score: 5", 5));
        assertEquals(Decision.LOW_SCORE, Verdicts.humpback("Score: 5 ... Score: 3", 5));
        assertEquals(Decision.KEEP, Verdicts.humpback("Score: 3", 3));
        assertEquals(Decision.UNPARSEABLE, Verdicts.humpback("Score: 6", 5));
        assertEquals(Decision.UNPARSEABLE, Verdicts.humpback("no score", 5));
        assertEquals("verdict_unparseable", Decision.UNPARSEABLE.reason());
    }
}
