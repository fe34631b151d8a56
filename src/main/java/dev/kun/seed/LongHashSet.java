package dev.kun.seed;

/**
 * A set of 64-bit keys in open-addressed primitive arrays: about 12 to 23 bytes per key, no object
 * per entry. Keys are expected to be hashes already (uniform bits); 64 segments, chosen by the top
 * bits, keep each array small so growing never copies the whole set and no array hits Java's size cap.
 */
final class LongHashSet {
    private static final int SEGMENT_BITS = 6;
    private static final long EMPTY = 0;
    private final long[][] tables = new long[1 << SEGMENT_BITS][];
    private final int[] sizes = new int[1 << SEGMENT_BITS];
    private long size;
    // 0 marks an empty slot, so the key 0 itself is held here.
    private boolean hasZero;

    LongHashSet() {
        for (int s = 0; s < tables.length; s++) {
            tables[s] = new long[64];
        }
    }

    long size() {
        return size;
    }

    boolean contains(long key) {
        if (key == EMPTY) {
            return hasZero;
        }
        long[] table = tables[segment(key)];
        int mask = table.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            long k = table[i];
            if (k == key) {
                return true;
            }
            if (k == EMPTY) {
                return false;
            }
        }
    }

    /** Adds {@code key}; returns false when it was already present. */
    boolean add(long key) {
        if (key == EMPTY) {
            boolean added = !hasZero;
            hasZero = true;
            size += added ? 1 : 0;
            return added;
        }
        int s = segment(key);
        long[] table = tables[s];
        int mask = table.length - 1;
        for (int i = slot(key, mask); ; i = (i + 1) & mask) {
            long k = table[i];
            if (k == key) {
                return false;
            }
            if (k == EMPTY) {
                table[i] = key;
                size++;
                // Linear probing stays short up to a load of about 0.7.
                if (++sizes[s] * 10L > table.length * 7L) {
                    tables[s] = grow(table);
                }
                return true;
            }
        }
    }

    private static long[] grow(long[] table) {
        long[] bigger = new long[table.length * 2];
        int mask = bigger.length - 1;
        for (long key : table) {
            if (key != EMPTY) {
                int i = slot(key, mask);
                while (bigger[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
                bigger[i] = key;
            }
        }
        return bigger;
    }

    private static int segment(long key) {
        return (int) (key >>> (64 - SEGMENT_BITS));
    }

    private static int slot(long key, int mask) {
        return (int) key & mask;
    }
}
