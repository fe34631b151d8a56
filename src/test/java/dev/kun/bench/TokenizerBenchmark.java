package dev.kun.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kun.model.tokenizer.HfTokenizer;
import dev.kun.model.tokenizer.SentencePieceTokenizer;
import dev.kun.testing.SentencePieceToJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Tokenizing figure of issue 15: the Java SentencePiece path against the tokenizer.json path (Hugging
 * Face's Rust tokenizers through DJL) on the same vocabulary, the tokenizer.json being the one Hugging
 * Face's converter makes of the tokenizer.model ({@link SentencePieceToJson}). The text is the shared
 * corpus's CMRC paragraphs (Chinese), repeated to the size asked, encoded one document per call on one
 * thread (as the seed stage's token counting and a prompt's encoding call it), then all at once
 * ({@code encodeAll}: both parallel over the cores). Every document's ids are compared between the two
 * paths first. Prints MB/s of UTF-8 input, best of the rounds. Not a test; scripts/bench-tokenizer.sh.
 *
 * <pre>TokenizerBenchmark TOKENIZER_MODEL CORPUS_JSONL [MB] [ROUNDS]</pre>
 */
public final class TokenizerBenchmark {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        Path corpus = Path.of(args[1]);
        double mb = args.length > 2 ? Double.parseDouble(args[2]) : 10;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Path dir = Files.createTempDirectory("kun-tokenizer-bench");
        Files.copy(model, dir.resolve("tokenizer.model"));
        SentencePieceTokenizer sp = SentencePieceTokenizer.load(dir);
        SentencePieceToJson.write(sp.model(), dir.resolve("tokenizer.json"));
        try (HfTokenizer hf = HfTokenizer.load(dir)) {
            ObjectMapper json = new ObjectMapper();
            List<String> paragraphs = new ArrayList<>();
            for (String line : Files.readAllLines(corpus, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                JsonNode t = json.readTree(line).path("text");
                if (t.isTextual()) paragraphs.add(t.asText());
            }
            List<String> docs = new ArrayList<>();
            long bytes = 0;
            for (int i = 0; bytes < mb * 1e6; i++) {
                String d = paragraphs.get(i % paragraphs.size());
                docs.add(d);
                bytes += d.getBytes(StandardCharsets.UTF_8).length;
            }
            int differ = 0;
            long tokens = 0;
            for (String d : paragraphs) {
                int[] a = sp.encode(d);
                tokens += a.length;
                if (!Arrays.equals(a, hf.encode(d))) differ++;
            }
            System.err.printf(Locale.ROOT, "%d docs, %.1f MB; %d distinct paragraphs, %d tokens, %d encode differently%n",
                    docs.size(), bytes / 1e6, paragraphs.size(), tokens, differ);
            double spOne = best(rounds, () -> docs.forEach(sp::encode));
            double hfOne = best(rounds, () -> docs.forEach(hf::encode));
            double spAll = best(rounds, () -> sp.encodeAll(docs));
            double hfAll = best(rounds, () -> hf.encodeAll(docs));
            System.out.printf(Locale.ROOT, "{\"mb\":%.1f,\"one_thread\":{\"sentencepiece\":%.2f,\"tokenizer_json\":%.2f,\"ratio\":%.2f},"
                    + "\"encode_all\":{\"sentencepiece\":%.2f,\"tokenizer_json\":%.2f,\"ratio\":%.2f}}%n", bytes / 1e6,
                    bytes / 1e6 / spOne, bytes / 1e6 / hfOne, hfOne / spOne, bytes / 1e6 / spAll, bytes / 1e6 / hfAll, hfAll / spAll);
        }
    }

    /** Seconds of the fastest of {@code rounds} runs, after one unmeasured run. */
    private static double best(int rounds, Runnable r) {
        r.run();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            r.run();
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return best;
    }
}
