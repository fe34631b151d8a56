package dev.kun.seed;

/**
 * A set of 128-bit hashes (two longs per entry) in open-addressed primitive arrays: about 23 to 46
 * bytes per entry. 64 segments, chosen by the top bits of the first half, keep each array small.
 */
final class Hash128Set {
    private static final int SEGMENT_BITS = 6;
    private final long[][] tables = new long[1 << SEGMENT_BITS][];
    private final int[] sizes = new int[1 << SEGMENT_BITS];
    private long size;
    // (0, 0) marks an empty slot, so that hash itself is held here.
    private boolean hasZero;

    Hash128Set() {
        for (int s = 0; s < tables.length; s++) {
            tables[s] = new long[2 * 64];
        }
    }

    long size() {
        return size;
    }

    boolean contains(long h1, long h2) {
        if (h1 == 0 && h2 == 0) {
            return hasZero;
        }
        long[] table = tables[segment(h1)];
        int mask = table.length / 2 - 1;
        for (int i = slot(h1, mask); ; i = (i + 1) & mask) {
            long a = table[2 * i];
            long b = table[2 * i + 1];
            if (a == h1 && b == h2) {
                return true;
            }
            if (a == 0 && b == 0) {
                return false;
            }
        }
    }

    /** Adds the hash; returns false when it was already present. */
    boolean add(long h1, long h2) {
        if (h1 == 0 && h2 == 0) {
            boolean added = !hasZero;
            hasZero = true;
            size += added ? 1 : 0;
            return added;
        }
        int s = segment(h1);
        long[] table = tables[s];
        int mask = table.length / 2 - 1;
        for (int i = slot(h1, mask); ; i = (i + 1) & mask) {
            long a = table[2 * i];
            long b = table[2 * i + 1];
            if (a == h1 && b == h2) {
                return false;
            }
            if (a == 0 && b == 0) {
                table[2 * i] = h1;
                table[2 * i + 1] = h2;
                size++;
                if (++sizes[s] * 10L > (table.length / 2) * 7L) {
                    tables[s] = grow(table);
                }
                return true;
            }
        }
    }

    private static long[] grow(long[] table) {
        long[] bigger = new long[table.length * 2];
        int mask = bigger.length / 2 - 1;
        for (int j = 0; j < table.length; j += 2) {
            long a = table[j];
            long b = table[j + 1];
            if (a != 0 || b != 0) {
                int i = slot(a, mask);
                while (bigger[2 * i] != 0 || bigger[2 * i + 1] != 0) {
                    i = (i + 1) & mask;
                }
                bigger[2 * i] = a;
                bigger[2 * i + 1] = b;
            }
        }
        return bigger;
    }

    private static int segment(long h1) {
        return (int) (h1 >>> (64 - SEGMENT_BITS));
    }

    private static int slot(long h1, int mask) {
        return (int) h1 & mask;
    }
}
