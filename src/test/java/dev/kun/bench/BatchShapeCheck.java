package dev.kun.bench;

import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.TextGenerator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * How far a sampled generation moves with the batch it runs in: prompts of mixed lengths, sampled
 * (temperature 0.7, top-p 0.95, repetition penalty 1.2) with their own seeds, once each alone and once
 * together in batches of N, comparing tokens and the chosen tokens' log-probabilities bit for bit.
 * Prints one line per batch size on stdout. The README's reproducibility figures come from here.
 *
 * <pre>
 * mvn -q -B test-compile
 * java -Dai.djl.offline=true -cp "target/classes:target/test-classes:$(cat target/bench-classpath.txt)" \
 *   dev.kun.bench.BatchShapeCheck /tmp/kun-bench-llama768 4 12
 * </pre>
 */
public final class BatchShapeCheck {
    private static final int PROMPTS = 12;
    private static final int TOKENS = 24;
    private static final int THREADS = 2;
    private static final int CONTEXT = 704;

    private BatchShapeCheck() {}

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: BatchShapeCheck MODEL_DIR BATCH [BATCH ...]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        List<GenerationRequest> requests = requests();
        List<Generation> alone = new ArrayList<>();
        try (TextGenerator one = BenchEngine.open(dir, THREADS, 1, CONTEXT)) {
            for (GenerationRequest r : requests) alone.add(one.generate(List.of(r)).get(0));
        }
        for (int i = 1; i < args.length; i++) {
            int slots = Integer.parseInt(args[i]);
            try (TextGenerator many = BenchEngine.open(dir, THREADS, slots, CONTEXT)) {
                report(slots, alone, many.generate(requests));
            }
        }
    }

    /** Prompts of 5 to ~300 characters, CJK and Latin, each with its own seed. */
    private static List<GenerationRequest> requests() {
        String alphabet = "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年 the of and a to in is";
        SamplingParams sampling = new SamplingParams(0.7, 0.95, 0, 1.2, TOKENS, List.of(), List.of());
        Random random = new Random(7);
        List<GenerationRequest> out = new ArrayList<>();
        for (int i = 0; i < PROMPTS; i++) {
            int length = 5 + random.nextInt(i % 3 == 0 ? 300 : 40);
            StringBuilder prompt = new StringBuilder();
            for (int j = 0; j < length; j++) prompt.append(alphabet.charAt(random.nextInt(alphabet.length())));
            out.add(new GenerationRequest(prompt.toString(), sampling, 1000 + i));
        }
        return out;
    }

    private static void report(int slots, List<Generation> alone, List<Generation> batched) {
        int tokensDiffer = 0;
        int bitsDiffer = 0;
        double worst = 0;
        for (int i = 0; i < alone.size(); i++) {
            Generation a = alone.get(i);
            Generation b = batched.get(i);
            if (!Arrays.equals(a.tokenIds(), b.tokenIds())) tokensDiffer++;
            // Compared over the common prefix: after a differing token the two runs see different text.
            int n = Math.min(a.tokenLogprobs().length, b.tokenLogprobs().length);
            boolean same = true;
            for (int k = 0; k < n; k++) {
                same &= Float.floatToIntBits(a.tokenLogprobs()[k]) == Float.floatToIntBits(b.tokenLogprobs()[k]);
                worst = Math.max(worst, Math.abs(a.tokenLogprobs()[k] - b.tokenLogprobs()[k]));
                if (a.tokenIds()[k] != b.tokenIds()[k]) break;
            }
            if (!same) bitsDiffer++;
        }
        System.out.printf("batch %d: %d of %d prompts differ from alone in tokens, %d in log-probability bits;"
                + " largest log-probability difference %.3g%n", slots, tokensDiffer, alone.size(), bitsDiffer, worst);
    }
}
