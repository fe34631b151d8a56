package dev.kun.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same weights in the forms users download them (Yi's own names, ...) run exactly as the
 * safetensors checkpoint with Llama's names: same greedy tokens, same scores.
 */
class CheckpointFormsTest {
    @TempDir Path tmp;

    static final List<String> PROMPTS = List.of(
            "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n",
            "你好，世界",
            "The quick brown fox jumps over the lazy dog");

    /** Greedy generations and teacher-forced scores of {@link #PROMPTS} on the checkpoint in {@code dir}. */
    static List<Object> run(Path dir) {
        try (DjlGenerator g = DjlGenerator.open(dir, DjlGenerator.Options.defaults().withMaxBatch(2).withThreads(1))) {
            List<GenerationRequest> requests = new ArrayList<>();
            for (String p : PROMPTS) requests.add(new GenerationRequest(p, SamplingParams.greedy(8), 0));
            List<Object> out = new ArrayList<>();
            for (Generation r : g.generate(requests)) {
                out.add(r.text());
                out.add(java.util.Arrays.toString(r.tokenIds()));
            }
            for (float[] lp : g.textLogprobs(PROMPTS, true)) out.add(lp);
            return out;
        }
    }

    static void assertSameRuns(List<Object> expected, List<Object> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            if (expected.get(i) instanceof float[] e) {
                assertArrayEquals(e, (float[]) actual.get(i), "scores " + i);
            } else {
                assertEquals(expected.get(i), actual.get(i), "generation " + i);
            }
        }
    }

    @Test
    void yisFirstReleaseRunsAsItsLlamafiedTwin() {
        Path llama = TinyCheckpoint.builder().seed(5).gqa(4, 2).write(tmp.resolve("llama"));
        Path yi = TinyCheckpoint.builder().seed(5).gqa(4, 2).modelType("Yi").sharded(2).write(tmp.resolve("yi"));
        assertSameRuns(run(llama), run(yi));
    }

    /**
     * A checkpoint folder from the PyTorch fixture {@code name} (config and weights written by PyTorch)
     * with a tokenizer; {@code asSafetensors} puts the fixture's reference.safetensors in place of the
     * .bin files instead.
     */
    Path fromFixture(String name, boolean asSafetensors) throws Exception {
        Path src = dev.kun.testing.Fixtures.pytorch(name);
        Path dir = java.nio.file.Files.createDirectories(tmp.resolve(name + (asSafetensors ? "-safetensors" : "-bin")));
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(src)) {
            for (Path f : files.toList()) {
                String n = f.getFileName().toString();
                boolean weights = n.endsWith(".bin") || n.endsWith(".bin.index.json");
                if (n.equals("reference.safetensors")) {
                    if (asSafetensors) java.nio.file.Files.copy(f, dir.resolve("model.safetensors"));
                } else if (!(asSafetensors && weights)) {
                    java.nio.file.Files.copy(f, dir.resolve(n));
                }
            }
        }
        TinyCheckpoint.writeTokenizer(dir.resolve("tokenizer.json"), 512);
        return dir;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"llama-f32", "yi-bf16-sharded", "views-f16"})
    void pytorchBinRunsAsItsSafetensorsTwin(String name) throws Exception {
        assertSameRuns(run(fromFixture(name, true)), run(fromFixture(name, false)));
    }

    @Test
    void safetensorsWinOverBinBesideThem() throws Exception {
        Path dir = fromFixture("llama-f32", true);
        // A .bin that cannot be read: opening it would fail, so it must not be opened.
        java.nio.file.Files.write(dir.resolve("pytorch_model.bin"), new byte[] {'P', 'K', 3, 4});
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(c.config().expectedTensors().keySet(), c.weights().names());
        }
    }

    @Test
    void aSentencePieceOnlyCheckpointRunsAsWithItsConvertedTokenizerJson() throws Exception {
        Path json = TinyCheckpoint.builder().seed(9).vocab(6000).write(tmp.resolve("json"));
        Path model = dev.kun.model.tokenizer.SentencePieceModelTest.model("llama-style");
        java.nio.file.Files.copy(model, json.resolve("tokenizer.model"));
        java.nio.file.Files.delete(json.resolve("tokenizer_config.json"));
        dev.kun.testing.SentencePieceToJson.write(dev.kun.model.tokenizer.SentencePieceModel.load(model), json.resolve("tokenizer.json"));
        Path sp = tmp.resolve("sentencepiece");
        java.nio.file.Files.createDirectories(sp);
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(json)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals("tokenizer.json")) java.nio.file.Files.copy(f, sp.resolve(f.getFileName()));
            }
        }
        try (Checkpoint c = Checkpoint.open(sp)) {
            assertEquals(dev.kun.model.tokenizer.SentencePieceTokenizer.class, c.tokenizer().getClass());
        }
        assertSameRuns(run(json), run(sp));
    }
}
