package dev.kun.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kun.error.KunException;
import dev.kun.generate.TextScorer;
import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The logit-verdict path: next-token log-probabilities read at each prefix's last position in one pass,
 * against an independent path, the teacher-forced log-probability of each full sequence prefix + candidate.
 */
class NextTokenLogprobsTest {
    @TempDir Path tmp;

    @Test
    void equalsTheLastTeacherForcedLogprobOfEachFullSequence() {
        Path dir = TinyCheckpoint.builder().seed(5).gqa(4, 2).vocab(600).write(tmp.resolve("tiny"));
        // 3 slots and small passes: the prefixes go in several padded batches.
        DjlGenerator.Options options = DjlGenerator.Options.defaults().withMaxBatch(3);
        options = new DjlGenerator.Options(options.device(), options.devices(), options.dtype(), 3, 0, 0, 96);
        try (DjlGenerator engine = DjlGenerator.open(dir, options)) {
            Random rnd = new Random(1);
            List<int[]> prefixes = new ArrayList<>();
            for (int length : new int[] {1, 2, 7, 30, 3, 17, 45, 9}) {
                int[] p = new int[length];
                for (int i = 0; i < length; i++) p[i] = 9 + rnd.nextInt(590);
                prefixes.add(p);
            }
            int[] candidates = {7, 2, 100, 599, 300};
            List<float[]> next = engine.nextTokenLogprobs(prefixes, candidates);
            TextScorer viaSequences = new TextScorer() {
                @Override
                public List<float[]> tokenLogprobs(List<int[]> sequences) {
                    return engine.tokenLogprobs(sequences);
                }

                @Override
                public int contextLength() {
                    return engine.contextLength();
                }

                @Override
                public dev.kun.generate.Tokenizer tokenizer() {
                    return engine.tokenizer();
                }

                @Override
                public String fingerprint() {
                    return engine.fingerprint();
                }

                @Override
                public void close() {}
            };
            List<float[]> full = viaSequences.nextTokenLogprobs(prefixes, candidates); // the interface's default
            for (int i = 0; i < prefixes.size(); i++) {
                for (int j = 0; j < candidates.length; j++) {
                    int[] seq = java.util.Arrays.copyOf(prefixes.get(i), prefixes.get(i).length + 1);
                    seq[seq.length - 1] = candidates[j];
                    float[] lp = engine.tokenLogprobs(List.of(seq)).get(0);
                    assertEquals(lp[lp.length - 1], next.get(i)[j], 2e-4, "prefix " + i + ", candidate " + candidates[j]);
                    assertEquals(full.get(i)[j], next.get(i)[j], 2e-4);
                }
            }
            // Every token of the vocabulary after one prefix: a distribution.
            int[] all = new int[600];
            for (int t = 0; t < all.length; t++) all[t] = t;
            double sum = 0;
            for (float lp : engine.nextTokenLogprobs(List.of(prefixes.get(3)), all).get(0)) sum += Math.exp(lp);
            assertEquals(1.0, sum, 1e-4);
            assertThrows(KunException.class, () -> engine.nextTokenLogprobs(List.of(new int[0]), candidates));
            assertThrows(IllegalArgumentException.class, () -> engine.nextTokenLogprobs(prefixes, new int[] {600}));
        }
    }
}
