package dev.kun.seed;

/**
 * MinHash signatures over character n-grams (Unicode code points, so Chinese, which has no spaces
 * between words, works as well as English, and an emoji counts as one character). Each n-gram is
 * hashed once (rolling polynomial hash, 64-bit finaliser, top 32 bits x); the {@code numPerm} hash
 * functions are then the permutations {@code (a_i * x + b_i) mod 2^32} with odd a_i, of which the top
 * 31 bits are kept. 32-bit lanes let the JIT run the permutation loop in SIMD registers (64-bit
 * multiplies do not vectorise on AVX2): about 4x faster than 64-bit multiply-shift, with the same
 * estimation error on the CMRC corpus (RMSE of the Jaccard estimate equal to the theoretical
 * sqrt(J(1-J)/numPerm)). Text shorter than {@code ngram} characters is a single shingle.
 * Deterministic: the permutations come from a fixed seed.
 */
public final class MinHash {
    // Odd 64-bit constant for the polynomial rolling hash of code points.
    private static final long POLY = 0x9E3779B97F4A7C15L | 1;
    private final int ngram;
    private final int numPerm;
    private final int[] mul;
    private final int[] add;
    private final long polyPow;

    public MinHash(int ngram, int numPerm, long seed) {
        if (ngram < 1 || numPerm < 1) {
            throw new IllegalArgumentException("ngram and numPerm must be positive");
        }
        this.ngram = ngram;
        this.numPerm = numPerm;
        this.mul = new int[numPerm];
        this.add = new int[numPerm];
        long state = seed;
        for (int i = 0; i < numPerm; i++) {
            state += 0x9E3779B97F4A7C15L;
            mul[i] = (int) Murmur3.fmix64(state) | 1; // odd, so x -> a*x + b is a permutation
            state += 0x9E3779B97F4A7C15L;
            add[i] = (int) Murmur3.fmix64(state);
        }
        long pow = 1;
        for (int i = 0; i < ngram - 1; i++) {
            pow *= POLY;
        }
        this.polyPow = pow;
    }

    public int numPerm() {
        return numPerm;
    }

    public int ngram() {
        return ngram;
    }

    /** The signature of {@code text}: {@code numPerm} minima, each in [0, 2^31). */
    public int[] signature(String text) {
        int[] shingles = shingleHashes(text);
        int[] sig = new int[numPerm];
        java.util.Arrays.fill(sig, Integer.MAX_VALUE);
        int[] m = mul;
        int[] a = add;
        int perms = numPerm;
        for (int x : shingles) {
            for (int p = 0; p < perms; p++) {
                int h = (x * m[p] + a[p]) >>> 1;
                // Branch-free min (both values are non-negative, so h - s cannot overflow): Math.min
                // and a branch both stop the JIT from vectorising this loop.
                int d = h - sig[p];
                sig[p] += d & (d >> 31);
            }
        }
        return sig;
    }

    /** The 32-bit hash of every n-gram, in text order (repeats included: they cannot change a minimum). */
    int[] shingleHashes(String text) {
        int n = text.length();
        int[] out = new int[Math.max(1, n)];
        int size = 0;
        int[] window = new int[ngram];
        long rolling = 0;
        int count = 0;
        for (int i = 0; i < n; ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            int slot = count % ngram;
            if (count >= ngram) {
                rolling -= window[slot] * polyPow;
            }
            rolling = rolling * POLY + cp;
            window[slot] = cp;
            count++;
            if (count >= ngram) {
                out[size++] = (int) (Murmur3.fmix64(rolling) >>> 32);
            }
        }
        if (count > 0 && count < ngram) {
            out[size++] = (int) (Murmur3.fmix64(rolling) >>> 32);
        }
        return size == out.length ? out : java.util.Arrays.copyOf(out, size);
    }

    /** The share of equal positions of two signatures: an estimate of the Jaccard similarity. */
    public static double similarity(int[] a, int[] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] == b[i]) {
                same++;
            }
        }
        return (double) same / a.length;
    }
}
