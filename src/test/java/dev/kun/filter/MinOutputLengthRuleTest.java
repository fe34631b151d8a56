package dev.kun.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.testing.Records;
import org.junit.jupiter.api.Test;

class MinOutputLengthRuleTest {
    private final Rule rule = new MinOutputLengthRule(20);

    @Test
    void countsCodePointsNotUtf16Units() {
        String emoji19 = "😀".repeat(19); // 38 UTF-16 units, 19 characters
        assertEquals("output_too_short", rule.apply(Records.of("output", emoji19)).dropReason());
        assertTrue(rule.apply(Records.of("output", "😀".repeat(20))).isKept());
    }

    @Test
    void boundaryAtTwentyCharacters() {
        assertEquals("output_too_short", rule.apply(Records.of("output", "教".repeat(19))).dropReason());
        assertTrue(rule.apply(Records.of("output", "教".repeat(20))).isKept());
        assertEquals("output_too_short", rule.apply(Records.of("output", "")).dropReason());
        assertTrue(rule.apply(Records.of("output", "a".repeat(19) + "😀")).isKept());
    }
}
