package dev.kun.seed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HashSetsTest {

    @Test
    void longSetGrowsAndFindsEveryKeyItHolds() {
        LongHashSet set = new LongHashSet();
        SplittableRandom random = new SplittableRandom(1);
        long[] keys = new long[200_000];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = random.nextLong();
            assertTrue(set.add(keys[i]));
        }
        assertFalse(set.add(keys[123]), "a second add reports the key as present");
        assertEquals(keys.length, set.size());
        for (long k : keys) {
            assertTrue(set.contains(k));
        }
        SplittableRandom other = new SplittableRandom(2);
        for (int i = 0; i < 10_000; i++) {
            assertFalse(set.contains(other.nextLong()));
        }
        // Keys in one segment only (same top bits) still spread over the segment's slots.
        LongHashSet skewed = new LongHashSet();
        for (long i = 0; i < 50_000; i++) {
            assertTrue(skewed.add(i));
        }
        assertTrue(skewed.contains(49_999) && !skewed.contains(50_000));
    }

    @Test
    void zeroIsAKeyLikeAnyOther() {
        LongHashSet set = new LongHashSet();
        assertFalse(set.contains(0));
        assertTrue(set.add(0));
        assertTrue(set.contains(0));
        Hash128Set pairs = new Hash128Set();
        assertFalse(pairs.contains(0, 0));
        assertTrue(pairs.add(0, 0));
        assertTrue(pairs.contains(0, 0));
        assertFalse(pairs.contains(0, 2));
        assertTrue(pairs.add(0, 1), "(0, 1) is not (0, 0)");
        assertTrue(set.add(1), "1 is not 0");
        assertFalse(set.add(0));
    }

    @Test
    void hash128SetComparesBothHalves() {
        Hash128Set set = new Hash128Set();
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 100_000; i++) {
            long a = random.nextLong();
            assertTrue(set.add(a, i));
            assertTrue(set.add(a, i + 1_000_000L), "same first half, different second half");
        }
        assertEquals(200_000, set.size());
        SplittableRandom again = new SplittableRandom(3);
        for (int i = 0; i < 100_000; i++) {
            long a = again.nextLong();
            assertTrue(set.contains(a, i));
            assertFalse(set.contains(a, i + 2_000_000L));
        }
    }
}
