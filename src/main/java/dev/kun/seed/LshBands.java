package dev.kun.seed;

/**
 * How a MinHash signature is cut for locality-sensitive hashing: {@code bands} bands of {@code rows}
 * rows. Two texts of Jaccard similarity s share at least one band with probability
 * {@code 1 - (1 - s^rows)^bands}, an S-curve whose steep part sits near the threshold.
 */
public record LshBands(int bands, int rows) {

    public LshBands {
        if (bands < 1 || rows < 1) {
            throw new IllegalArgumentException("bands and rows must be positive");
        }
    }

    /**
     * The (bands, rows) with {@code bands * rows <= numPerm} that minimises the sum of the false
     * positive area (below the threshold) and the false negative area (above it) under the S-curve:
     * the choice datasketch's MinHashLSH makes with equal weights. 0.8 with 128 permutations gives
     * 9 bands of 13 rows.
     */
    public static LshBands forThreshold(double threshold, int numPerm) {
        if (!(threshold > 0 && threshold < 1)) {
            throw new IllegalArgumentException("threshold must be in (0, 1)");
        }
        // A few million pow() calls: computed once per setting, not per stage.
        return DERIVED.computeIfAbsent(threshold + "/" + numPerm, k -> derive(threshold, numPerm));
    }

    private static final java.util.Map<String, LshBands> DERIVED = new java.util.concurrent.ConcurrentHashMap<>();

    private static LshBands derive(double threshold, int numPerm) {
        double bestError = Double.MAX_VALUE;
        LshBands best = null;
        for (int b = 1; b <= numPerm; b++) {
            for (int r = 1; b * r <= numPerm; r++) {
                LshBands candidate = new LshBands(b, r);
                double fp = integrate(candidate, 0, threshold, false);
                double fn = integrate(candidate, threshold, 1, true);
                double error = 0.5 * fp + 0.5 * fn;
                if (error < bestError) {
                    bestError = error;
                    best = candidate;
                }
            }
        }
        return best;
    }

    /** Probability that two texts of Jaccard similarity {@code s} share a band. */
    public double candidateProbability(double s) {
        return 1 - Math.pow(1 - Math.pow(s, rows), bands);
    }

    private static double integrate(LshBands lsh, double from, double to, boolean missed) {
        int steps = 1000;
        double h = (to - from) / steps;
        double sum = 0;
        for (int i = 0; i < steps; i++) {
            double p = lsh.candidateProbability(from + (i + 0.5) * h);
            sum += missed ? 1 - p : p;
        }
        return sum * h;
    }
}
