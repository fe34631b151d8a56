package dev.kun.generate;

import java.nio.charset.StandardCharsets;

/** Derives a per-record sampling seed from the run's {@code --seed} and the record id. */
public final class Seeds {
    private Seeds() {}

    /** 64-bit FNV-1a over the id's UTF-8 bytes, mixed with the run seed (SplitMix64 finaliser). */
    public static long forRecord(long runSeed, String recordId) {
        long h = 0xcbf29ce484222325L;
        for (byte b : recordId.getBytes(StandardCharsets.UTF_8)) {
            h ^= (b & 0xff);
            h *= 0x100000001b3L;
        }
        long z = h ^ (runSeed * 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
