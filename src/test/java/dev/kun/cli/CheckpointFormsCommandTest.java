package dev.kun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.Kun;
import dev.kun.error.ExitCodes;
import dev.kun.model.tokenizer.SentencePieceModel;
import dev.kun.model.tokenizer.SentencePieceModelTest;
import dev.kun.testing.Captured;
import dev.kun.testing.Fixtures;
import dev.kun.testing.SentencePieceToJson;
import dev.kun.testing.TinyCheckpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kun generate} and {@code kun seed --ppl-model} on a checkpoint as Yi's first release shipped
 * (PyTorch .bin shards, tokenizer.model only, Yi's names) give the same output as on its
 * safetensors-and-tokenizer.json twin; the tokenizer and cache options fail in one line.
 */
class CheckpointFormsCommandTest {
    @TempDir Path dir;

    /** Copies the files of {@code from} whose names {@code keep} accepts into a new folder {@code name}. */
    private Path copy(Path from, String name, java.util.function.Predicate<String> keep) throws Exception {
        Path to = Files.createDirectories(dir.resolve(name));
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) if (keep.test(f.getFileName().toString())) Files.copy(f, to.resolve(f.getFileName()));
        }
        return to;
    }

    private Captured generate(Path model, Path out, String... extra) {
        java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of("generate", "--model", model.toString(),
                "--device", "cpu", "-i", dir.resolve("prompts.txt").toString(), "-o", out.toString(), "--progress", "never",
                "--max-tokens", "8", "--temperature", "0"));
        a.addAll(java.util.List.of(extra));
        return Captured.run(new byte[0], () -> Kun.run(a.toArray(String[]::new)));
    }

    @Test
    void aTokenizerModelOnlyYiCheckpointGeneratesAsItsTokenizerJsonTwin() throws Exception {
        Files.writeString(dir.resolve("prompts.txt"), "你好，世界\nThe quick brown fox\n<|im_start|>user\n", StandardCharsets.UTF_8);
        // Yi's names and Yi's SentencePiece framing; the twin has the converted tokenizer.json instead.
        Path spm = SentencePieceModelTest.model("yi-style");
        Path twin = TinyCheckpoint.builder().seed(3).vocab(6000).modelType("Yi").write(dir.resolve("twin"));
        Files.delete(twin.resolve("tokenizer_config.json"));
        SentencePieceToJson.write(SentencePieceModel.load(spm), twin.resolve("tokenizer.json"));
        Path yi = copy(twin, "yi", n -> !n.equals("tokenizer.json"));
        Files.copy(spm, yi.resolve("tokenizer.model"));
        Path a = dir.resolve("a.jsonl");
        Path b = dir.resolve("b.jsonl");
        Captured ca = generate(twin, a);
        assertEquals(0, ca.code(), ca.stderr());
        Captured cb = generate(yi, b);
        assertEquals(0, cb.code(), cb.stderr());
        assertEquals(Files.readString(a), Files.readString(b));
    }

    @Test
    void pytorchShardsGenerateAndScoreAsTheirSafetensorsTwin() throws Exception {
        Files.writeString(dir.resolve("prompts.txt"), "你好，世界\nThe quick brown fox\n", StandardCharsets.UTF_8);
        Path fixture = Fixtures.pytorch("yi-bf16-sharded");
        Path bin = copy(fixture, "bin", n -> !n.equals("reference.safetensors"));
        Path st = copy(fixture, "st", n -> n.equals("config.json"));
        Files.copy(fixture.resolve("reference.safetensors"), st.resolve("model.safetensors"));
        for (Path d : new Path[] {bin, st}) TinyCheckpoint.writeTokenizer(d.resolve("tokenizer.json"), 512);
        Captured ca = generate(st, dir.resolve("a.jsonl"));
        assertEquals(0, ca.code(), ca.stderr());
        Captured cb = generate(bin, dir.resolve("b.jsonl"));
        assertEquals(0, cb.code(), cb.stderr());
        assertEquals(Files.readString(dir.resolve("a.jsonl")), Files.readString(dir.resolve("b.jsonl")));

        Path docs = dir.resolve("docs.jsonl");
        Files.writeString(docs, "{\"id\":\"a\",\"text\":\"你好，世界，今天天气很好。\"}\n{\"id\":\"b\",\"text\":\"the cat sat on the mat\"}\n");
        String[] ppl = {"seed", "-i", docs.toString(), "--device", "cpu", "--progress", "never", "--ppl-model"};
        Captured pa = Captured.run(new byte[0], () -> Kun.run(concat(ppl, st.toString())));
        Captured pb = Captured.run(new byte[0], () -> Kun.run(concat(ppl, bin.toString())));
        assertEquals(0, pb.code(), pb.stderr());
        assertTrue(pa.out().contains("\"ppl\""), pa.out());
        assertEquals(pa.out(), pb.out());
    }

    private static String[] concat(String[] a, String b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + 1);
        out[a.length] = b;
        return out;
    }

    @Test
    void tokenizerSourceAndCacheProblemsAreOneLine() throws Exception {
        Files.writeString(dir.resolve("prompts.txt"), "hello\n");
        Path model = TinyCheckpoint.builder().write(dir.resolve("m"));
        Captured bad = generate(model, dir.resolve("o1.jsonl"), "--tokenizer-source", "fast");
        assertEquals(ExitCodes.USAGE, bad.code());
        assertTrue(bad.stderr().contains("--tokenizer-source must be auto, tokenizer.json or sentencepiece: fast"), bad.stderr());
        Captured missing = generate(model, dir.resolve("o2.jsonl"), "--tokenizer-source", "sentencepiece");
        assertEquals(ExitCodes.BACKEND, missing.code());
        assertTrue(missing.stderr().contains("kun: tokenizer.model is missing in " + model + " (--tokenizer-source sentencepiece)"),
                missing.stderr());
        Captured absent = generate(Path.of("no-such-org-15/no-such-model"), dir.resolve("o3.jsonl"));
        assertEquals(ExitCodes.BACKEND, absent.code());
        assertTrue(absent.stderr().contains("kun: model directory not found: no-such-org-15/no-such-model, and no"
                + " models--no-such-org-15--no-such-model in the Hugging Face cache (looked in "), absent.stderr());
        for (Captured c : new Captured[] {bad, missing, absent}) {
            assertFalse(c.stderr().contains("\tat "), "no stack trace: " + c.stderr());
        }
    }
}
