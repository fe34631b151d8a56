package dev.kun.seed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Murmur3Test {

    // Reference values of MurmurHash3_x64_128, seed 0 (the published "quick brown fox" vector; the
    // others were cross-checked against Guava's Hashing.murmur3_128() over 1,000 random inputs).
    @Test
    void matchesReferenceVectors() {
        assertEquals("e34bbc7bbc071b6c7a433ca9c49a9347",
                Murmur3.hash128("The quick brown fox jumps over the lazy dog".getBytes(StandardCharsets.UTF_8)).hex());
        assertEquals("00000000000000000000000000000000", Murmur3.hash128(new byte[0]).hex());
        // mmh3's documented example: hash64("foo", signed=False) = (16316970633193145697, 9128664383759220103),
        // and hash128("foo") = 168394135621993849475852668931176482145 = h2 << 64 | h1.
        Murmur3.Hash128 foo = Murmur3.hash128("foo".getBytes(StandardCharsets.UTF_8));
        assertEquals("16316970633193145697", Long.toUnsignedString(foo.h1()));
        assertEquals("9128664383759220103", Long.toUnsignedString(foo.h2()));
        assertEquals("0197e8856a639e95706d6c00f5ab4e36",
                Murmur3.hash128("教育具有促进个体发展和社会发展的功能。".getBytes(StandardCharsets.UTF_8)).hex());
    }

    @Test
    void everyTailLengthChangesTheHash() {
        byte[] data = new byte[40];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 37 + 1);
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int len = 0; len <= 40; len++) {
            byte[] prefix = java.util.Arrays.copyOf(data, len);
            String h = Murmur3.hash128(prefix).hex();
            assertTrue(seen.add(h), "collision at length " + len);
            if (len > 0) {
                prefix[len - 1] ^= 1;
                assertNotEquals(h, Murmur3.hash128(prefix).hex(), "last byte ignored at length " + len);
            }
        }
    }

    @Test
    void stableIdIsThePrefixedHashOfTheNormalisedText() {
        String text = "教育具有促进个体发展和社会发展的功能。";
        assertEquals("kun-0197e8856a639e95706d6c00f5ab4e36", StableId.of(text));
        assertNotEquals(StableId.of(text), StableId.of(text + "。"));
        assertTrue(StableId.of("😀").matches("kun-[0-9a-f]{32}"));
    }
}
