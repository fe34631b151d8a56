package dev.kun.model.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.generate.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TopPSamplerTest {

    private static SamplingParams params(double temperature, double topP, int topK, double penalty) {
        return new SamplingParams(temperature, topP, topK, penalty, 16, List.of(), List.of());
    }

    /**
     * The definition written the slow, obvious way: full sorts, boxed collections. It shares only the
     * documented arithmetic (float logits, double sums, SplitMix64, ascending-id draw) with the sampler.
     */
    private static final class Reference {
        final SamplingParams p;
        final int vocab;
        final Set<Integer> seen = new LinkedHashSet<>();
        long state;

        Reference(SamplingParams p, long seed, int vocab) {
            this.p = p;
            this.vocab = vocab;
            this.state = seed;
        }

        double nextDouble() {
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z = z ^ (z >>> 31);
            return (z >>> 11) / (double) (1L << 53);
        }

        int next(float[] logits, int offset) {
            float[] x = Arrays.copyOfRange(logits, offset, offset + vocab);
            float pen = (float) p.repetitionPenalty();
            for (int id : seen) x[id] = x[id] < 0 ? x[id] * pen : x[id] / pen;
            if (p.temperature() == 0) {
                int best = 0;
                for (int i = 0; i < vocab; i++) if (x[i] > x[best]) best = i;
                return best;
            }
            float t = (float) p.temperature();
            for (int i = 0; i < vocab; i++) x[i] = x[i] / t;
            boolean[] keep = new boolean[vocab];
            Arrays.fill(keep, true);
            if (p.topK() > 0 && p.topK() < vocab) {
                float[] sorted = x.clone();
                Arrays.sort(sorted);
                float kth = sorted[vocab - p.topK()];
                for (int i = 0; i < vocab; i++) keep[i] = x[i] >= kth;
            }
            float max = Float.NEGATIVE_INFINITY;
            for (float v : x) max = Math.max(max, v);
            float[] w = new float[vocab];
            for (int i = 0; i < vocab; i++) w[i] = keep[i] ? (float) Math.exp(x[i] - max) : 0f;
            if (p.topP() < 1) {
                double total = 0;
                for (float v : w) total += v;
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < vocab; i++) if (w[i] > 0) order.add(i);
                order.sort(Comparator.<Integer>comparingDouble(i -> -w[i]).thenComparingInt(i -> i));
                double cum = 0;
                boolean[] inNucleus = new boolean[vocab];
                for (int i : order) {
                    if (cum >= p.topP() * total && cum > 0) break;
                    inNucleus[i] = true;
                    cum += w[i];
                }
                for (int i = 0; i < vocab; i++) if (!inNucleus[i]) w[i] = 0f;
            }
            double total = 0;
            for (float v : w) total += v;
            double target = nextDouble() * total;
            double running = 0;
            int last = -1;
            for (int i = 0; i < vocab; i++) {
                if (w[i] > 0) {
                    running += w[i];
                    last = i;
                    if (running > target) return i;
                }
            }
            return last;
        }
    }

    private static float[] randomLogits(Random r, int vocab, float scale) {
        float[] x = new float[vocab];
        for (int i = 0; i < vocab; i++) x[i] = (float) (r.nextGaussian() * scale);
        return x;
    }

    @ParameterizedTest
    @CsvSource({
        // temperature, topP, topK, penalty, vocab, logit scale
        "0,    1,    0,  1,   1000, 3",
        "0,    1,    0,  1.3, 1000, 3",
        "1,    1,    0,  1,   1000, 3",
        "0.5,  0.95, 0,  1.2, 1000, 3",
        "0.7,  0.9,  40, 1.1, 1000, 3",
        "1.5,  1,    5,  1.2, 1000, 1",
        "1,    0.3,  0,  1,   1000, 8",
        "0.5,  0.95, 0,  1.2, 64000, 4",
        "1,    0.99, 0,  1.2, 64000, 0.01",
    })
    void matchesBruteForceReference(double temperature, double topP, int topK, double penalty, int vocab, float scale) {
        SamplingParams p = params(temperature, topP, topK, penalty);
        Random r = new Random(vocab * 31L + topK);
        TopPSampler sampler = new TopPSampler(p, 42, vocab);
        Reference ref = new Reference(p, 42, vocab);
        for (int i = 0; i < 20; i++) {
            int id = r.nextInt(vocab);
            sampler.observe(id);
            ref.seen.add(id);
        }
        int steps = vocab > 5000 ? 30 : 300;
        for (int step = 0; step < steps; step++) {
            int offset = r.nextInt(3);
            float[] logits = new float[offset + vocab + 2];
            System.arraycopy(randomLogits(r, vocab, scale), 0, logits, offset, vocab);
            float[] before = logits.clone();
            int got = sampler.next(logits, offset);
            assertEquals(ref.next(logits, offset), got, "step " + step);
            assertArrayEquals(before, logits, "caller's logits must stay untouched");
            sampler.observe(got);
            ref.seen.add(got);
        }
    }

    private static int[] run(TopPSampler s, long logitSeed, int steps, int vocab) {
        Random r = new Random(logitSeed);
        int[] out = new int[steps];
        for (int i = 0; i < steps; i++) {
            out[i] = s.next(randomLogits(r, vocab, 2), 0);
            s.observe(out[i]);
        }
        return out;
    }

    @Test
    void samplersSharingOneScratchDrawAsIfAlone() {
        // A batch's sequences take turns on one set of work arrays; each must draw what it would alone.
        SamplingParams nucleus = params(0.8, 0.9, 0, 1.1);
        SamplingParams topK = params(1.2, 1, 7, 1);
        int vocab = 800;
        int[] aloneA = run(new TopPSampler(nucleus, 3, vocab), 5, 60, vocab);
        int[] aloneB = run(new TopPSampler(topK, 4, vocab), 6, 60, vocab);
        TopPSampler.Scratch shared = new TopPSampler.Scratch(vocab);
        TopPSampler a = new TopPSampler(nucleus, 3, vocab, shared);
        TopPSampler b = new TopPSampler(topK, 4, vocab, shared);
        Random ra = new Random(5);
        Random rb = new Random(6);
        for (int i = 0; i < 60; i++) {
            int x = a.next(randomLogits(ra, vocab, 2), 0);
            a.observe(x);
            int y = b.next(randomLogits(rb, vocab, 2), 0);
            b.observe(y);
            assertEquals(aloneA[i], x, "sampler a, step " + i);
            assertEquals(aloneB[i], y, "sampler b, step " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> new TopPSampler(nucleus, 1, vocab + 1, shared));
    }

    @Test
    void sameSeedSameTokensDifferentSeedDifferentTokens() {
        SamplingParams p = SamplingParams.kun();
        int[] a = run(new TopPSampler(p, 7, 500), 1, 100, 500);
        int[] b = run(new TopPSampler(p, 7, 500), 1, 100, 500);
        int[] c = run(new TopPSampler(p, 8, 500), 1, 100, 500);
        assertArrayEquals(a, b);
        assertNotEquals(Arrays.toString(a), Arrays.toString(c));
    }

    @Test
    void fixedSeedGivesAFixedStreamOnEveryPlatform() {
        // Uniform logits and no cut: the draw is floor(u * 1000) with u from SplitMix64(seed 0), whose
        // first outputs are published (0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, ...).
        TopPSampler s = new TopPSampler(params(1, 1, 0, 1), 0, 1000);
        float[] flat = new float[1000];
        int first = s.next(flat, 0);
        int second = s.next(flat, 0);
        assertEquals((int) Math.floor((0xe220a8397b1dcdafL >>> 11) * 0x1.0p-53 * 1000), first);
        assertEquals((int) Math.floor((0x6e789e6aa1b965f4L >>> 11) * 0x1.0p-53 * 1000), second);
    }

    @Test
    void penaltyDividesPositiveLogitsOfSeenTokens() {
        TopPSampler s = new TopPSampler(params(0, 1, 0, 1.2), 0, 3);
        float[] logits = {2.0f, 1.9f, -5f};
        assertEquals(0, s.next(logits, 0));
        s.observe(0);
        // 2.0 / 1.2 = 1.67 < 1.9
        assertEquals(1, s.next(logits, 0));
    }

    @Test
    void penaltyMultipliesNegativeLogitsOfSeenTokens() {
        TopPSampler s = new TopPSampler(params(0, 1, 0, 1.2), 0, 3);
        float[] logits = {-1.0f, -1.1f, -5f};
        s.observe(0);
        // -1.0 * 1.2 = -1.2 < -1.1; dividing (the wrong way) would give -0.83 and keep token 0.
        assertEquals(1, s.next(logits, 0));
    }

    @Test
    void penaltyCountsEachTokenOnce() {
        TopPSampler s = new TopPSampler(params(0, 1, 0, 1.2), 0, 3);
        float[] logits = {2.0f, 1.5f, -5f};
        s.observe(0);
        s.observe(0);
        s.observe(0);
        // once: 1.67 > 1.5; three times would be 1.16 < 1.5
        assertEquals(0, s.next(logits, 0));
    }

    @Test
    void greedyBreaksTiesTowardTheLowestId() {
        TopPSampler s = new TopPSampler(params(0, 1, 0, 1), 0, 4);
        assertEquals(1, s.next(new float[] {0f, 3f, 3f, 3f}, 0));
    }

    private static int[] counts(TopPSampler s, float[] logits, int draws) {
        int[] c = new int[logits.length];
        for (int i = 0; i < draws; i++) c[s.next(logits, 0)]++;
        return c;
    }

    @Test
    void topKOneIsArgmaxAndTopKKeepsTiesWithTheKth() {
        float[] logits = {3f, 2f, 2f, 0f, 2.5f};
        int[] one = counts(new TopPSampler(params(1, 1, 1, 1), 3, 5), logits, 500);
        assertEquals(500, one[0]);
        // k = 3: values 3, 2.5 and the tie 2, 2 at the 3rd place all stay (HF: drop only what is below the kth).
        int[] three = counts(new TopPSampler(params(1, 1, 3, 1), 3, 5), logits, 4000);
        assertTrue(three[1] > 0 && three[2] > 0 && three[4] > 0, Arrays.toString(three));
        assertEquals(0, three[3]);
        // k >= vocab: no cut
        int[] all = counts(new TopPSampler(params(1, 1, 99, 1), 3, 5), logits, 4000);
        assertTrue(all[3] > 0, Arrays.toString(all));
    }

    @Test
    void topPKeepsTheSmallestSetReachingTheMass() {
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};
        int[] below = counts(new TopPSampler(params(1, 0.49, 0, 1), 5, 3), logits, 2000);
        assertArrayEquals(new int[] {2000, 0, 0}, below);
        int[] two = counts(new TopPSampler(params(1, 0.51, 0, 1), 5, 3), logits, 2000);
        assertTrue(two[0] > 0 && two[1] > 0 && two[2] == 0, Arrays.toString(two));
        int[] three = counts(new TopPSampler(params(1, 0.81, 0, 1), 5, 3), logits, 2000);
        assertTrue(three[2] > 0, Arrays.toString(three));
        // a tiny top_p still keeps one token
        int[] tiny = counts(new TopPSampler(params(1, 1e-6, 0, 1), 5, 3), logits, 100);
        assertEquals(100, tiny[0]);
    }

    @Test
    void topPBreaksProbabilityTiesByLowerId() {
        float[] logits = {1f, 1f, 1f, 1f};
        int[] c = counts(new TopPSampler(params(1, 0.4, 0, 1), 9, 4), logits, 2000);
        assertTrue(c[0] > 0 && c[1] > 0, Arrays.toString(c));
        assertEquals(0, c[2] + c[3], Arrays.toString(c));
    }

    /** Chi-square of observed counts against expected probabilities. */
    private static double chiSquare(int[] observed, double[] expected, int draws) {
        double chi = 0;
        for (int i = 0; i < observed.length; i++) {
            if (expected[i] == 0) {
                assertEquals(0, observed[i], "token " + i + " has probability 0");
                continue;
            }
            double e = expected[i] * draws;
            chi += (observed[i] - e) * (observed[i] - e) / e;
        }
        return chi;
    }

    @Test
    void drawsFollowTheTemperedTruncatedDistribution() {
        // Fixed seeds make this deterministic; the bounds are the 99.9% chi-square quantiles, so a
        // correct sampler passes with a wide margin and a wrong formula (no temperature, no
        // renormalisation) fails by orders of magnitude.
        double[] probs = {0.4, 0.25, 0.15, 0.1, 0.06, 0.04};
        float[] logits = new float[probs.length];
        for (int i = 0; i < probs.length; i++) logits[i] = (float) Math.log(probs[i]);
        int draws = 40000;

        int[] plain = counts(new TopPSampler(params(1, 1, 0, 1), 11, 6), logits, draws);
        assertTrue(chiSquare(plain, probs, draws) < 20.5, Arrays.toString(plain)); // df 5

        // temperature 0.5 squares the probabilities before renormalising
        double[] sq = new double[probs.length];
        double z = 0;
        for (int i = 0; i < probs.length; i++) z += sq[i] = probs[i] * probs[i];
        for (int i = 0; i < probs.length; i++) sq[i] /= z;
        int[] cold = counts(new TopPSampler(params(0.5, 1, 0, 1), 12, 6), logits, draws);
        assertTrue(chiSquare(cold, sq, draws) < 20.5, Arrays.toString(cold));

        // top_p 0.7: nucleus {0, 1, 2} (0.4 + 0.25 < 0.7 <= 0.8), renormalised over 0.8
        double[] nucleus = {0.5, 0.3125, 0.1875, 0, 0, 0};
        int[] cut = counts(new TopPSampler(params(1, 0.7, 0, 1), 13, 6), logits, draws);
        assertTrue(chiSquare(cut, nucleus, draws) < 13.9, Arrays.toString(cut)); // df 2

        // top_k 2: {0, 1} renormalised over 0.65
        double[] top2 = {0.4 / 0.65, 0.25 / 0.65, 0, 0, 0, 0};
        int[] k2 = counts(new TopPSampler(params(1, 1, 2, 1), 14, 6), logits, draws);
        assertTrue(chiSquare(k2, top2, draws) < 10.9, Arrays.toString(k2)); // df 1
    }

    @Test
    void rejectsOutOfRangeInput() {
        TopPSampler s = new TopPSampler(params(1, 1, 0, 1), 0, 10);
        assertThrows(IllegalArgumentException.class, () -> s.observe(10));
        assertThrows(IllegalArgumentException.class, () -> s.observe(-1));
        assertThrows(IllegalArgumentException.class, () -> s.next(new float[12], 3));
    }
}
