package dev.kun.seed;

/**
 * MinHash LSH over the texts kept so far. Only one 64-bit hash per band of each kept text is
 * stored (about {@code bands * 12..23} bytes per text, never the text nor the full signature), so
 * memory grows with the number of records, not with their length. A text is a near duplicate when
 * any of its band hashes was seen before.
 */
public final class NearDuplicateIndex {
    private final MinHash minHash;
    private final LshBands lsh;
    private final LongHashSet seen = new LongHashSet();

    public NearDuplicateIndex(MinHash minHash, LshBands lsh) {
        if (lsh.bands() * lsh.rows() > minHash.numPerm()) {
            throw new IllegalArgumentException(
                    "bands x rows (" + lsh.bands() + " x " + lsh.rows() + ") exceeds num-perm " + minHash.numPerm());
        }
        this.minHash = minHash;
        this.lsh = lsh;
    }

    /** The band hashes of {@code text}: one per band, the band index mixed in so bands never collide. */
    public long[] keys(String text) {
        int[] sig = minHash.signature(text);
        long[] keys = new long[lsh.bands()];
        int rows = lsh.rows();
        for (int b = 0; b < keys.length; b++) {
            long h = (b + 1) * 0xC2B2AE3D27D4EB4FL;
            for (int r = 0; r < rows; r++) {
                h = Long.rotateLeft(h ^ (sig[b * rows + r] & 0xffffffffL), 27) * 0x9E3779B97F4A7C15L;
            }
            keys[b] = Murmur3.fmix64(h);
        }
        return keys;
    }

    public boolean matches(long[] keys) {
        for (long k : keys) {
            if (seen.contains(k)) {
                return true;
            }
        }
        return false;
    }

    public void add(long[] keys) {
        for (long k : keys) {
            seen.add(k);
        }
    }

    public LshBands lsh() {
        return lsh;
    }
}
