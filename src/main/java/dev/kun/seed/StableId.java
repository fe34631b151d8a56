package dev.kun.seed;

import java.nio.charset.StandardCharsets;

/**
 * The id given to a record that has none: {@code kun-} and the 32 hex digits of the
 * MurmurHash3 x64 128 hash (h1 then h2) of the normalised text's UTF-8 bytes. The same text gets
 * the same id on any machine and in any run.
 */
public final class StableId {
    public static final String PREFIX = "kun-";

    private StableId() {}

    public static String of(String normalizedText) {
        return of(Murmur3.hash128(normalizedText.getBytes(StandardCharsets.UTF_8)));
    }

    public static String of(Murmur3.Hash128 hash) {
        return PREFIX + hash.hex();
    }
}
