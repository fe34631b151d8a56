package dev.kun.cli;

import dev.kun.backend.Backends;
import dev.kun.generate.BackendSpec;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kun.model.tokenizer.HfTokenizer;
import dev.kun.pipeline.RunConfig;
import dev.kun.pipeline.Stage;
import dev.kun.pipeline.StageRunner;
import dev.kun.prompt.LabelPrompt;
import dev.kun.seed.ModelPerplexity;
import dev.kun.seed.Perplexity;
import dev.kun.seed.SeedConfig;
import dev.kun.seed.SeedStage;
import dev.kun.seed.StableId;
import dev.kun.testing.Captured;
import dev.kun.testing.ForwardingStage;
import dev.kun.testing.SharedDir;
import dev.kun.testing.TestStages;
import dev.kun.testing.TinyCheckpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SeedCommandTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String P1 = "群聚效应是一个社会动力学的名词，用来描述在一个社会系统里，某件事情的存在已达至一个足够的动量，"
            + "使它能够自我维持，并为往后的成长提供动力。这个名词借用自核子物理学中的临界质量。";
    private static final String P2 = "欧洲越橘，又称黑果越橘，是杜鹃花科越橘属的植物。果实可作食用。是越橘属的模式种。"
            + "它的果实比蓝莓小，颜色较深，几乎是黑色的，通常生长在荒地和针叶林中的酸性土壤上。";

    @TempDir Path dir;

    private static List<JsonNode> readJsonl(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(file)) {
            return out;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            out.add(MAPPER.readTree(line));
        }
        return out;
    }

    private Path write(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    @Test
    void endToEndKeepsCleansDeduplicatesAndRejectsWithReasons() throws Exception {
        Path in = write("in.jsonl", String.join("\n",
                "{\"id\":\"a\",\"text\":\"" + P1 + "\",\"source\":\"wiki\"}",
                "{\"id\":\"b\",\"text\":\"  " + P1 + "\\r\\n\"}",
                "{\"id\":\"c\",\"text\":\"" + P1.replace("核子", "原子") + "\"}",
                "{\"text\":\"" + P2 + "\"}",
                "{\"id\":\"e\",\"text\":\"短\"}",
                "{\"id\":\"f\",\"body\":\"no text\"}",
                "{\"id\":\"g\",\"text\":\" \\u200b \"}") + "\n");
        Path out = dir.resolve("out.jsonl");
        Path rejects = dir.resolve("rejects.jsonl");
        Path stats = dir.resolve("stats.json");
        Captured c = Captured.kun("seed", "-i", in.toString(), "-o", out.toString(), "--rejects", rejects.toString(),
                "--stats", stats.toString(), "--min-chars", "2", "--on-error", "skip");
        assertEquals(0, c.code(), c.stderr());
        assertEquals("", c.out(), "with -o nothing goes to stdout");
        List<JsonNode> kept = readJsonl(out);
        assertEquals(2, kept.size());
        assertEquals("{\"id\":\"a\",\"text\":\"" + P1 + "\",\"source\":\"wiki\"}", kept.get(0).toString());
        assertEquals(StableId.of(P2), kept.get(1).get("id").asText());
        Map<String, String> reasons = new HashMap<>();
        for (JsonNode r : readJsonl(rejects)) {
            assertEquals("seed", r.get("stage").asText());
            reasons.put(r.path("id").asText(), r.get("reason").asText());
        }
        assertEquals(Map.of("b", "duplicate_exact", "c", "duplicate_near", "e", "too_short", "f", "missing_field",
                "g", "empty"), reasons);
        JsonNode s = MAPPER.readTree(stats.toFile());
        assertEquals(7, s.get("total").asInt());
        assertEquals(2, s.get("kept").asInt());
    }

    @Test
    void missingTextFieldFailsWithFileAndLine() throws Exception {
        Path in = write("in.jsonl", "{\"id\":\"a\",\"text\":\"好\"}\n{\"id\":\"b\",\"output\":\"x\"}\n");
        Captured c = Captured.kun("seed", "-i", in.toString());
        assertEquals(ExitCodes.BAD_INPUT, c.code());
        assertTrue(c.stderr().contains("in.jsonl:2"), c.stderr());
        assertTrue(c.stderr().contains("'text'"), c.stderr());
        assertFalse(c.stderr().contains("\tat "), c.stderr());
    }

    @Test
    void textFieldIsMovedToTextAndPlainTextLandsThere() throws Exception {
        Path in = write("in.jsonl", "{\"dataType\":\"x\",\"output\":\" 教育具有促进个体发展和社会发展的功能。 \",\"question_id\":3}\n");
        Captured c = Captured.kun("seed", "-i", in.toString(), "--text-field", "output");
        assertEquals(0, c.code(), c.stderr());
        String doc = "教育具有促进个体发展和社会发展的功能。";
        assertEquals("{\"id\":\"" + StableId.of(doc) + "\",\"dataType\":\"x\",\"text\":\"" + doc + "\",\"question_id\":3}\n",
                c.out());

        Path txt = write("corpus.txt", P1 + "\n\n\n" + P2 + "\n\n" + P1 + "\n");
        Captured plain = Captured.kun("seed", "-i", txt.toString(), "--split", "paragraph");
        assertEquals(0, plain.code(), plain.stderr());
        String[] lines = plain.out().split("\n");
        assertEquals(2, lines.length, plain.out());
        assertEquals(P1, MAPPER.readTree(lines[0]).get("text").asText());
        assertEquals(P2, MAPPER.readTree(lines[1]).get("text").asText());
    }

    @Test
    void invertWritesByteExactPromptCompletionPairs() throws Exception {
        Path in = write("seed.json", "[{\"id\":\"s1\",\"instruction\":\"教育具有哪些社会发展功能？\",\"input\":\"\","
                + "\"output\":\"教育具有促进个体发展和社会发展的功能。\"},"
                + "{\"id\":\"s2\",\"instruction\":\"写一篇文章。\",\"input\":\"\",\"output\":\"\"}]");
        Path rejects = dir.resolve("rej.jsonl");
        Captured c = Captured.kun("seed", "-i", in.toString(), "--invert", "--rejects", rejects.toString());
        assertEquals(0, c.code(), c.stderr());
        JsonNode pair = MAPPER.readTree(c.out());
        assertArrayEquals(LabelPrompt.render("教育具有促进个体发展和社会发展的功能。").getBytes(StandardCharsets.UTF_8),
                pair.get("prompt").asText().getBytes(StandardCharsets.UTF_8));
        assertEquals("教育具有哪些社会发展功能？<|im_end|>", pair.get("completion").asText());
        assertEquals("empty_output", readJsonl(rejects).get(0).get("reason").asText());

        Captured messages = Captured.kun("seed", "-i", in.toString(), "--invert", "--sft-format", "messages",
                "--on-error", "skip");
        JsonNode m = MAPPER.readTree(messages.out()).get("messages");
        assertEquals("assistant", m.get(1).get("role").asText());
        assertEquals("教育具有哪些社会发展功能？", m.get(1).get("content").asText());
    }

    @Test
    void maxTokensCountsWithTheTokenizer() throws Exception {
        Path tokDir = Files.createDirectories(dir.resolve("tok"));
        TinyCheckpoint.writeTokenizer(tokDir.resolve("tokenizer.json"));
        String small = "教育具有功能。";
        String large = P1;
        int smallTokens;
        int largeTokens;
        try (HfTokenizer tok = HfTokenizer.load(tokDir)) {
            smallTokens = tok.countTokens(small);
            largeTokens = tok.countTokens(large);
        }
        assertTrue(smallTokens < largeTokens);
        Path in = write("in.jsonl", "{\"id\":\"s\",\"text\":\"" + small + "\"}\n{\"id\":\"l\",\"text\":\"" + large + "\"}\n");
        Path rejects = dir.resolve("rej.jsonl");
        Captured c = Captured.kun("seed", "-i", in.toString(), "--tokenizer", tokDir.toString(),
                "--max-tokens", String.valueOf(smallTokens), "--rejects", rejects.toString());
        assertEquals(0, c.code(), c.stderr());
        assertEquals("s", MAPPER.readTree(c.out()).get("id").asText());
        assertEquals("too_many_tokens", readJsonl(rejects).get(0).get("reason").asText());
        assertEquals("l", readJsonl(rejects).get(0).get("id").asText());

        Captured exact = Captured.kun("seed", "-i", in.toString(), "--tokenizer", tokDir.toString(),
                "--max-tokens", String.valueOf(largeTokens));
        assertEquals(2, exact.out().split("\n").length, "a document of exactly N tokens is kept");

        Captured missing = Captured.kun("seed", "-i", in.toString(), "--tokenizer", dir.resolve("none").toString());
        assertEquals(ExitCodes.BACKEND, missing.code());
        assertTrue(missing.stderr().contains("tokenizer not found"), missing.stderr());
    }

    @Test
    void everyOptionReachesTheStageConfig() {
        SeedCommand cmd = new SeedCommand();
        new CommandLine(cmd).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--text-field", "body", "--nfkc",
                "--min-chars", "3", "--max-chars", "900", "--tokenizer", "tokdir", "--max-tokens", "100",
                "--dedup", "exact", "--near-dup-threshold", "0.7", "--ngram", "4", "--num-perm", "64", "--bands", "8");
        SeedConfig c = cmd.config();
        assertEquals(new SeedConfig("body", true, 3, 900, 100, "tokdir", SeedConfig.Dedup.EXACT, 4, 64, 0.7, 8, false,
                SeedConfig.SftFormat.PROMPT_COMPLETION, null, Double.POSITIVE_INFINITY), c);

        SeedCommand inv = new SeedCommand();
        new CommandLine(inv).parseArgs("--invert", "--sft-format", "messages", "--tokenizer", "t");
        SeedConfig ic = inv.config();
        assertTrue(ic.invert());
        assertEquals("output", ic.textField());
        assertEquals(SeedConfig.SftFormat.MESSAGES, ic.sftFormat());
        assertEquals(512, ic.maxTokens(), "the method's 512-token limit is the default with a tokenizer");
        assertEquals(SeedConfig.defaults(), parsed());
        SeedCommand ppl = new SeedCommand();
        new CommandLine(ppl).parseArgs("--ppl-model", "m", "--max-ppl", "42.5", "--max-tokens", "300",
                "--device", "cuda:1", "--dtype", "f16");
        SeedConfig pc = ppl.config();
        assertEquals("m", pc.pplModel());
        assertEquals(42.5, pc.maxPpl());
        assertEquals(300, pc.maxTokens());
        assertEquals("m", pc.tokenizer(), "--max-tokens counts with the perplexity model's tokenizer");
        assertEquals("cuda:1", ppl.device.device());
        assertEquals("f16", ppl.device.dtype());
    }

    private static SeedConfig parsed(String... args) {
        SeedCommand cmd = new SeedCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.config();
    }

    @Test
    void inconsistentOptionsAreUsageErrors() {
        String[][] bad = {
            {"--max-tokens", "10"},
            {"--sft-format", "messages"},
            {"--invert", "--sft-format", "alpaca"},
            {"--near-dup-threshold", "1.5"},
            {"--min-chars", "10", "--max-chars", "5"},
            {"--bands", "200"},
            {"--ngram", "0"},
            {"--max-ppl", "10"},
            {"--ppl-model", "m", "--max-ppl", "0"},
            {"--ppl-model", "m", "--dtype", "f8"},
            {"--ppl-model", "m", "--device", "tpu"},
        };
        for (String[] args : bad) {
            KunException e = assertThrows(KunException.class, () -> parsed(args), String.join(" ", args));
            assertEquals(ExitCodes.USAGE, e.exitCode());
        }
        Captured c = Captured.kun("seed", "--max-tokens", "10");
        assertEquals(ExitCodes.USAGE, c.code());
        assertTrue(c.stderr().startsWith("kun: --max-tokens needs --tokenizer"), c.stderr());
    }

    @Test
    void helpDocumentsReasonsIdAndFormats() {
        Captured c = Captured.kun("seed", "--help");
        assertEquals(0, c.code());
        for (String s : new String[] {"duplicate_near", "too_many_tokens", "MurmurHash3_x64_128", "prompt-completion",
            "--near-dup-threshold", "--invert", "(default: 0.8)", "(default: 5)"}) {
            assertTrue(c.out().replaceAll("\\s+", " ").contains(s), s + " in\n" + c.out());
        }
    }

    @Test
    void resumeAfterACrashIsByteIdenticalBecauseRestoreRebuildsDedup() throws Exception {
        StringBuilder sb = new StringBuilder();
        String[] bases = {P1, P2, P1.substring(10) + P2.substring(0, 30)};
        for (int i = 0; i < 60; i++) {
            String base = bases[i % 3];
            String text = switch (i % 4) {
                case 0 -> base;
                case 1 -> base.replace("。", "。 ");
                case 2 -> base.substring(0, 20) + "字" + base.substring(21);
                default -> base + i;
            };
            sb.append("{\"n\":").append(i).append(",\"text\":\"").append(text).append("\"}\n");
        }
        Path in = write("in.jsonl", sb.toString());
        Path whole = dir.resolve("whole.jsonl");
        RunConfig base = RunConfig.simple(List.of(in.toString()), whole).withCheckpointEvery(5);
        try (SeedStage s = new SeedStage(SeedConfig.defaults(), null, null)) {
            new StageRunner(base.withRejects(dir.resolve("whole-rej.jsonl"))).run(s);
        }
        byte[] expected = Files.readAllBytes(whole);
        byte[] expectedRejects = Files.readAllBytes(dir.resolve("whole-rej.jsonl"));
        assertTrue(readJsonl(whole).size() < 60 && readJsonl(whole).size() > 3);
        // Checkpoints without fsync: only the in-process crash matters here, not power loss.
        System.setProperty("kun.fsync", "false");
        try {
            crashAndResume(in, expected, expectedRejects);
        } finally {
            System.clearProperty("kun.fsync");
        }
    }

    private void crashAndResume(Path in, byte[] expected, byte[] expectedRejects) throws Exception {
        for (int crashAfter : new int[] {1, 7, 23, 41, 59}) {
            Path out = dir.resolve("out" + crashAfter + ".jsonl");
            Path rej = dir.resolve("rej" + crashAfter + ".jsonl");
            RunConfig config = RunConfig.simple(List.of(in.toString()), out).withCheckpointEvery(5).withRejects(rej);
            assertThrows(TestStages.SimulatedCrash.class,
                    () -> new StageRunner(config).run(crashing(new SeedStage(SeedConfig.defaults(), null, null), crashAfter)));
            try (SeedStage s = new SeedStage(SeedConfig.defaults(), null, null)) {
                new StageRunner(config).run(s);
            }
            assertArrayEquals(expected, Files.readAllBytes(out), "crash after " + crashAfter);
            assertArrayEquals(expectedRejects, Files.readAllBytes(rej), "rejects, crash after " + crashAfter);
        }
    }

    @Test
    void perplexityModelAddsTokensAndPplAndDropsAboveTheMaximum() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        TinyCheckpoint.builder().layers(1).maxPositions(128).write(model);
        List<String> docs = List.of("教育具有促进个体发展和社会发展的功能。", "abc abc abc abc", "The quick brown fox.",
                "群聚效应是一个社会动力学的名词。", "一二三四五六七八九十");
        List<Double> ppl = new ArrayList<>();
        try (ModelPerplexity scorer = new ModelPerplexity(Backends.openScorer(BackendSpec.of(model).withDevice("cpu", null).withDtype("f32")))) {
            for (Perplexity p : scorer.score(docs)) {
                ppl.add(p.ppl());
            }
        }
        List<Double> sorted = new ArrayList<>(ppl);
        sorted.sort(null);
        double max = (sorted.get(2) + sorted.get(3)) / 2; // keeps the three lowest
        assertTrue(sorted.get(3) - sorted.get(2) > 1e-3 * sorted.get(3), "scores too close to split: " + sorted);
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < docs.size(); i++) {
            in.append("{\"id\":\"d").append(i).append("\",\"text\":\"").append(docs.get(i)).append("\"}\n");
        }
        in.append("{\"id\":\"dup\",\"text\":\"").append(docs.get(0)).append("\"}\n");
        Path input = write("ppl.jsonl", in.toString());
        Path rejects = dir.resolve("ppl-rej.jsonl");
        Captured c = Captured.kun("seed", "-i", input.toString(), "--ppl-model", model.toString(), "--max-ppl",
                String.valueOf(max), "--device", "cpu", "--rejects", rejects.toString());
        assertEquals(0, c.code(), c.stderr());
        List<JsonNode> kept = new ArrayList<>();
        for (String line : c.out().split("\n")) {
            kept.add(MAPPER.readTree(line));
        }
        Map<String, String> reasons = new HashMap<>();
        for (JsonNode r : readJsonl(rejects)) {
            reasons.put(r.get("id").asText(), r.get("reason").asText());
        }
        assertEquals(3, kept.size());
        assertEquals("duplicate_exact", reasons.get("dup"));
        for (int i = 0; i < docs.size(); i++) {
            String id = "d" + i;
            if (ppl.get(i) > max) {
                assertEquals("perplexity", reasons.get(id), id);
            } else {
                JsonNode k = kept.stream().filter(n -> n.get("id").asText().equals(id)).findFirst().orElseThrow();
                assertEquals(ppl.get(i), k.get("ppl").asDouble(), 1e-5 * ppl.get(i) + 0.001);
                assertTrue(k.get("tokens").asInt() > 0);
            }
        }

        // Only --ppl-model: every record annotated, none dropped for perplexity.
        Captured annotate = Captured.kun("seed", "-i", input.toString(), "--ppl-model", model.toString(), "--device", "cpu");
        assertEquals(docs.size(), annotate.out().split("\n").length, annotate.stderr());
        assertTrue(annotate.out().contains("\"ppl\":"));

        // Resumed after crashes, the perplexity run writes the same bytes (batches restart at checkpoints).
        Path whole = dir.resolve("ppl-whole.jsonl");
        SeedConfig config = SeedConfig.defaults().withPerplexity(model.toString(), max);
        System.setProperty("kun.fsync", "false");
        try (ModelPerplexity scorer = new ModelPerplexity(Backends.openScorer(BackendSpec.of(model).withDevice("cpu", null).withDtype("f32")))) {
            RunConfig base = RunConfig.simple(List.of(input.toString()), whole).withCheckpointEvery(4);
            new StageRunner(base).run(new SeedStage(config, null, scorer));
            for (int crashAfter : new int[] {2, 5}) {
                Path out = dir.resolve("ppl-out" + crashAfter + ".jsonl");
                RunConfig run = RunConfig.simple(List.of(input.toString()), out).withCheckpointEvery(4);
                assertThrows(TestStages.SimulatedCrash.class,
                        () -> new StageRunner(run).run(crashing(new SeedStage(config, null, scorer), crashAfter)));
                new StageRunner(run).run(new SeedStage(config, null, scorer));
                assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(out), "crash after " + crashAfter);
            }
        } finally {
            System.clearProperty("kun.fsync");
        }
    }

    /**
     * The stage, throwing once it has been handed {@code crashAfter} records: a kill inside the JVM. In
     * the stage's own batches, so the crashed run scores the records in the groups the whole run does.
     */
    private static Stage crashing(SeedStage stage, int crashAfter) {
        return ForwardingStage.of(stage).crashAfter(crashAfter);
    }

    @Test
    void sharedDataEndsInOutputOrRejectsExactlyOnce() throws Exception {
        Path data = SharedDir.dir().resolve("data");
        Assumptions.assumeTrue(Files.isDirectory(data), data + " absent: skipped");
        Path out = dir.resolve("all.jsonl");
        Path rejects = dir.resolve("all-rej.jsonl");
        // Corpus documents are in `text`; the seed pairs keep theirs in `output` and are bad input here.
        Captured c = Captured.kun("seed", "-i", data.toString(), "-o", out.toString(), "--rejects", rejects.toString(),
                "--on-error", "skip");
        assertEquals(0, c.code(), c.stderr());
        Map<String, Integer> seen = new HashMap<>();
        int inputs = 0;
        try (var files = Files.list(data)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".jsonl")).toList()) {
                for (JsonNode r : readJsonl(f)) {
                    seen.put(r.get("id").asText(), 0);
                    inputs++;
                }
            }
        }
        int keptCorpus = 0;
        for (JsonNode r : readJsonl(out)) {
            seen.merge(r.get("id").asText(), 1, Integer::sum);
            keptCorpus += r.get("id").asText().startsWith("cmrc2018-") ? 1 : 0;
        }
        for (JsonNode r : readJsonl(rejects)) {
            assertNotNull(r.get("reason"));
            seen.merge(r.get("id").asText(), 1, Integer::sum);
            if (r.get("id").asText().startsWith("coig-kun-")) {
                assertEquals("missing_field", r.get("reason").asText());
            }
        }
        assertEquals(inputs, seen.size(), "ids are unique in the shared data");
        seen.forEach((id, n) -> assertEquals(1, n, id + " seen " + n + " times"));
        assertEquals(1104, keptCorpus, "no CMRC paragraph is a duplicate of another");

        Captured inverted = Captured.kun("seed", "-i", data.resolve("seed-coig-kun.jsonl").toString(), "--invert",
                "-o", dir.resolve("pairs.jsonl").toString(), "--rejects", dir.resolve("pairs-rej.jsonl").toString());
        assertEquals(0, inverted.code(), inverted.stderr());
        List<JsonNode> pairs = readJsonl(dir.resolve("pairs.jsonl"));
        List<JsonNode> pairRejects = readJsonl(dir.resolve("pairs-rej.jsonl"));
        assertEquals(3000, pairs.size() + pairRejects.size());
        assertTrue(pairRejects.stream().anyMatch(r -> r.get("id").asText().equals("coig-kun-994")
                && r.get("reason").asText().equals("empty_output")));
        for (JsonNode p : pairs) {
            assertNotNull(LabelPrompt.documentOf(p.get("prompt").asText()));
            assertTrue(p.get("completion").asText().endsWith("<|im_end|>"));
        }
    }
}
