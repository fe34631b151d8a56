package dev.kun.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.testing.Records;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RepetitionRuleTest {
    private final Rule rule = new RepetitionRule(6);

    @Test
    void methodsExampleRepeatedSixTimesIsDropped() {
        String line = "教育具有哪些社会发展功能？\n";
        assertEquals("output_repetition", rule.apply(Records.of("output", line.repeat(6) + "结束")).dropReason());
        assertTrue(rule.apply(Records.of("output", line.repeat(5) + "结束")).isKept());
    }

    @Test
    void unitsOfAnyLengthIncludingOneCharacterAndEmoji() {
        assertTrue(RepetitionRule.startsWithRepetition("哈哈哈哈哈哈", 6));
        assertFalse(RepetitionRule.startsWithRepetition("哈哈哈哈哈", 6));
        assertTrue(RepetitionRule.startsWithRepetition("😀😀😀😀😀😀后面", 6));
        assertFalse(RepetitionRule.startsWithRepetition("😀😀😀😀😀好", 6));
        assertTrue(RepetitionRule.startsWithRepetition("ab".repeat(6) + "c", 6));
        assertTrue(RepetitionRule.startsWithRepetition("abcabcabcabcabcab", 5));
        assertFalse(RepetitionRule.startsWithRepetition("x" + "ab".repeat(6), 6), "the repetition must start the output");
        assertFalse(RepetitionRule.startsWithRepetition("", 6));
    }

    @Test
    void surrogatePairsAreNeverSplitIntoUnits() {
        // In UTF-16 units "😀" is \uD83D\uDE00; "😀😁" repeated has a 4-unit period but no period that
        // splits a pair, and a lone high surrogate is its own character.
        assertTrue(RepetitionRule.startsWithRepetition("😀😁".repeat(6), 6));
        assertFalse(RepetitionRule.startsWithRepetition("😀😁".repeat(5) + "😀", 6));
        assertTrue(RepetitionRule.startsWithRepetition("\uD83D".repeat(6), 6));
        // Malformed text where UTF-16 units repeat but code points do not: the last lone high
        // surrogate pairs with the low surrogate after it, and a leading lone low surrogate does not
        // start a repeated pair.
        assertFalse(RepetitionRule.startsWithRepetition("a\uD83D".repeat(6) + "\uDE00", 6));
        assertTrue(RepetitionRule.startsWithRepetition("a\uD83D".repeat(7) + "\uDE00", 6));
        assertFalse(RepetitionRule.startsWithRepetition("\uDE00\uD83D".repeat(6) + "\uDE00", 6));
    }

    @Test
    void agreesWithTheOriginalsQuadraticCheckOnRandomStrings() {
        Random random = new Random(42);
        List<String> alphabet = List.of("a", "b", "好", "😀", "\uD83D", "\uDE00", "\n");
        List<String> clean = List.of("a", "b", "😀");
        for (int trial = 0; trial < 40_000; trial++) {
            List<String> letters = trial % 2 == 0 ? alphabet : clean;
            StringBuilder sb = new StringBuilder();
            // A random unit repeated a random number of times, then random noise: hits both sides often.
            String unit = randomString(random, letters, 1 + random.nextInt(4));
            sb.append(unit.repeat(random.nextInt(9)));
            sb.append(randomString(random, letters, random.nextInt(8)));
            String text = sb.toString();
            int repeats = 2 + random.nextInt(6);
            assertEquals(bruteForce(text, repeats), RepetitionRule.startsWithRepetition(text, repeats),
                    () -> "repeats=" + repeats + " text=" + escape(text));
        }
    }

    @Test
    void linearOnALongOutput() {
        // 2 million characters with no early repetition: the quadratic original would take hours.
        String text = "ab" + "c".repeat(5) + "ab".repeat(1_000_000);
        long start = System.nanoTime();
        assertFalse(RepetitionRule.startsWithRepetition(text, 6));
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "took too long");
    }

    @Test
    void fewerThanTwoRepeatsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RepetitionRule(1));
    }

    /** The original's check: for every unit length i, does the text start with unit*repeats. */
    private static boolean bruteForce(String text, int repeats) {
        int[] cps = text.codePoints().toArray();
        for (int i = 1; i < cps.length; i++) {
            int[] unit = Arrays.copyOf(cps, i);
            if (i * repeats > cps.length) {
                return false;
            }
            boolean all = true;
            for (int j = 0; j < i * repeats && all; j++) {
                all = cps[j] == unit[j % i];
            }
            if (all) {
                return true;
            }
        }
        return false;
    }

    private static String randomString(Random random, List<String> alphabet, int length) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.get(random.nextInt(alphabet.size())));
        }
        return sb.toString();
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        s.chars().forEach(c -> sb.append(String.format("\\u%04x", c)));
        return sb.toString();
    }
}
