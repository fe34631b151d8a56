package dev.kun.seed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MinHashTest {
    private final MinHash minHash = new MinHash(5, 128, SeedConfig.MINHASH_SEED);

    @Test
    void bandsDerivedFromTheThresholdMatchDatasketchsChoice() {
        assertEquals(new LshBands(9, 13), LshBands.forThreshold(0.8, 128));
        assertEquals(new LshBands(14, 9), LshBands.forThreshold(0.7, 128));
        LshBands lsh = LshBands.forThreshold(0.8, 128);
        assertTrue(lsh.candidateProbability(0.95) > 0.99);
        assertTrue(lsh.candidateProbability(0.5) < 0.002);
    }

    @Test
    void sameTextSameSignatureAcrossInstances() {
        String text = "群聚效应是一个社会动力学的名词，用来描述在一个社会系统里，某件事情的存在已达至一个足够的动量。";
        assertArrayEquals(minHash.signature(text), new MinHash(5, 128, SeedConfig.MINHASH_SEED).signature(text));
        for (int v : minHash.signature(text)) {
            assertTrue(v >= 0);
        }
    }

    @Test
    void estimatesJaccardOfCharacterNgrams() {
        Random random = new Random(3);
        String base = randomCjk(random, 600);
        for (int edits : new int[] {0, 5, 20, 60, 150}) {
            StringBuilder edited = new StringBuilder(base);
            for (int e = 0; e < edits; e++) {
                edited.setCharAt(random.nextInt(edited.length()), (char) (0x4E00 + random.nextInt(0x5000)));
            }
            double truth = jaccard(shingles(base), shingles(edited.toString()));
            double estimate = MinHash.similarity(minHash.signature(base), minHash.signature(edited.toString()));
            // Four standard deviations of the estimator, sqrt(J(1-J)/128), plus a little slack.
            double tolerance = 4 * Math.sqrt(truth * (1 - truth) / 128) + 0.02;
            assertEquals(truth, estimate, tolerance, "edits=" + edits);
        }
        assertTrue(MinHash.similarity(minHash.signature(base), minHash.signature(randomCjk(random, 600))) < 0.05);
    }

    @Test
    void countsCodePointsSoEmojiAreOneCharacter() {
        // 4 emoji = 8 chars: as code points that is shorter than one 5-gram, a single shingle, so
        // changing the last one changes every minimum.
        String a = "😀😁😂🤣";
        String b = "😀😁😂😃";
        assertEquals(0.0, MinHash.similarity(minHash.signature(a), minHash.signature(b)), 0.05);
        assertFalse(java.util.Arrays.equals(minHash.signature("ab"), minHash.signature("abc")));
    }

    private static String randomCjk(Random random, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append((char) (0x4E00 + random.nextInt(0x5000)));
        }
        return sb.toString();
    }

    private static Set<String> shingles(String s) {
        Set<String> out = new HashSet<>();
        for (int i = 0; i + 5 <= s.length(); i++) {
            out.add(s.substring(i, i + 5));
        }
        return out;
    }

    private static double jaccard(Set<String> a, Set<String> b) {
        Set<String> inter = new HashSet<>(a);
        inter.retainAll(b);
        return (double) inter.size() / (a.size() + b.size() - inter.size());
    }
}
