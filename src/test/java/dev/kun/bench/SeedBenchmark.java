package dev.kun.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds the input of the {@code kun seed} figure (scripts/bench-seed.sh runs the packaged CLI on it):
 * the CMRC corpus repeated until the target size, every copy after the first edited record by record
 * so that deduplication does real work: a quarter exact duplicates after cleaning (extra spaces, CRLF, a zero-width space),
 * a quarter near duplicates (1 to 3 characters changed), half new documents (a third of the
 * characters changed), which keep the dedup index growing. Deterministic.
 *
 * <p>usage: SeedBenchmark CORPUS.jsonl OUT.jsonl TARGET_MB
 */
public final class SeedBenchmark {
    private SeedBenchmark() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: SeedBenchmark CORPUS.jsonl OUT.jsonl TARGET_MB");
            System.exit(2);
        }
        ObjectMapper mapper = new ObjectMapper();
        List<String> texts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8)) {
            JsonNode n = mapper.readTree(line);
            texts.add(n.get("text").asText());
        }
        long target = Long.parseLong(args[2]) * 1_000_000L;
        long written = 0;
        int[] kinds = new int[4];
        try (BufferedWriter out = Files.newBufferedWriter(Path.of(args[1]), StandardCharsets.UTF_8)) {
            for (int copy = 0; written < target; copy++) {
                for (int i = 0; i < texts.size() && written < target; i++) {
                    SplittableRandom random = new SplittableRandom(copy * 1_000_003L + i);
                    String text = texts.get(i);
                    int kind = copy == 0 ? 0 : 1 + Math.min(2, random.nextInt(4));
                    text = switch (kind) {
                        case 0 -> text;
                        case 1 -> "  " + text.replace("\n", " \r\n\t") + " \u200B\n";
                        case 2 -> edit(text, 1 + random.nextInt(3), random);
                        default -> edit(text, text.length() / 3, random);
                    };
                    kinds[kind]++;
                    ObjectNode rec = mapper.createObjectNode();
                    rec.put("id", "bench-" + copy + "-" + i);
                    rec.put("text", text);
                    rec.put("source", "cmrc2018 copy " + copy);
                    String line = mapper.writeValueAsString(rec) + "\n";
                    out.write(line);
                    written += line.getBytes(StandardCharsets.UTF_8).length;
                }
            }
        }
        System.err.printf("SeedBenchmark: %d bytes; originals %d, exact copies %d, near copies %d, new %d%n",
                written, kinds[0], kinds[1], kinds[2], kinds[3]);
    }

    private static String edit(String text, int edits, SplittableRandom random) {
        char[] chars = text.toCharArray();
        for (int e = 0; e < edits; e++) {
            int at = random.nextInt(chars.length);
            if (!Character.isSurrogate(chars[at])) {
                chars[at] = (char) (0x4E00 + random.nextInt(0x5000));
            }
        }
        return new String(chars);
    }
}
