package dev.kun.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.model.tokenizer.TokenizerSource;
import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir Path dir;

    private KunException openFails() {
        KunException e = assertThrows(KunException.class, () -> Checkpoint.open(dir));
        assertEquals(ExitCodes.BACKEND, e.exitCode());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    @Test
    void opensAValidShardedGqaCheckpoint() {
        TinyCheckpoint.builder().gqa(4, 2).dtype("BF16").sharded(3).tied(true).write(dir);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertEquals(2, ck.config().kvGroups());
            assertTrue(ck.config().tiedEmbeddings());
            assertEquals(List.of(2, 7), ck.eosTokenIds());
            assertEquals(TinyCheckpoint.IM_END, ck.tokenizer().specialTokenId("<|im_end|>").getAsInt());
            assertEquals(ck.config().expectedTensors().keySet(), ck.weights().names());
        }
    }

    @Test
    void missingDirectory() {
        Path nowhere = dir.resolve("nowhere");
        KunException e = assertThrows(KunException.class, () -> Checkpoint.open(nowhere));
        assertEquals("model directory not found: " + nowhere, e.getMessage());
    }

    @Test
    void missingConfig() throws Exception {
        TinyCheckpoint.builder().write(dir);
        Files.delete(dir.resolve("config.json"));
        assertTrue(openFails().getMessage().startsWith("config.json is missing in " + dir));
    }

    @Test
    void missingTokenizerNamesBothFiles() throws Exception {
        TinyCheckpoint.builder().write(dir);
        Files.delete(dir.resolve("tokenizer.json"));
        assertEquals("no tokenizer in " + dir + " (expected tokenizer.json or tokenizer.model)", openFails().getMessage());
        KunException e = assertThrows(KunException.class, () -> Checkpoint.open(dir, TokenizerSource.SENTENCEPIECE));
        assertEquals("tokenizer.model is missing in " + dir + " (--tokenizer-source sentencepiece)", e.getMessage());
    }

    @Test
    void missingWeights() throws Exception {
        TinyCheckpoint.builder().write(dir);
        Files.delete(dir.resolve("model.safetensors"));
        assertEquals("no weights in " + dir + " (expected model.safetensors, model.safetensors.index.json, pytorch_model.bin"
                + " or pytorch_model.bin.index.json)", openFails().getMessage());
    }

    @Test
    void binShardsWithoutTheirIndexAreNamed() throws Exception {
        TinyCheckpoint.builder().write(dir);
        Files.delete(dir.resolve("model.safetensors"));
        Files.write(dir.resolve("pytorch_model-00001-of-00002.bin"), new byte[] {1});
        Files.write(dir.resolve("pytorch_model-00002-of-00002.bin"), new byte[] {1});
        Files.write(dir.resolve("consolidated.00.pth"), new byte[] {1});
        assertEquals("no weights in " + dir + " (expected model.safetensors, model.safetensors.index.json, pytorch_model.bin"
                + " or pytorch_model.bin.index.json; found consolidated.00.pth, pytorch_model-00001-of-00002.bin,"
                + " pytorch_model-00002-of-00002.bin)", openFails().getMessage());
    }

    @Test
    void indexReferencingAMissingShardNamesIt() throws Exception {
        TinyCheckpoint.builder().sharded(3).write(dir);
        Files.delete(dir.resolve("model-00002-of-00003.safetensors"));
        String m = openFails().getMessage();
        assertTrue(m.endsWith("references missing shard model-00002-of-00003.safetensors"), m);
    }

    @Test
    void untiedConfigWithoutLmHeadNamesTheTensor() throws Exception {
        TinyCheckpoint.builder().tied(true).write(dir);
        String config = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"),
                config.replace("\"tie_word_embeddings\" : true", "\"tie_word_embeddings\" : false"));
        String m = openFails().getMessage();
        assertTrue(m.startsWith("tensor lm_head.weight is missing"), m);
        assertTrue(m.contains("tie_word_embeddings"), m);
    }

    @Test
    void shapeMismatchBetweenConfigAndWeights() throws Exception {
        TinyCheckpoint.builder().write(dir);
        String config = Files.readString(dir.resolve("config.json"));
        Files.writeString(dir.resolve("config.json"), config.replace("\"intermediate_size\" : 128", "\"intermediate_size\" : 96"));
        String m = openFails().getMessage();
        assertTrue(m.contains("mlp.gate_proj.weight") && m.contains("[128, 64]") && m.contains("[96, 64]"), m);
    }

    @Test
    void unsupportedModelType() throws Exception {
        TinyCheckpoint.builder().modelType("gemma").write(dir);
        assertTrue(openFails().getMessage().endsWith("unsupported model_type 'gemma' (supported: llama, mistral, qwen2, Yi)"));
    }

    @Test
    void untiedCheckpointHasItsOwnHead() {
        TinyCheckpoint.builder().tied(false).write(dir);
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertTrue(ck.weights().names().contains("lm_head.weight"));
        }
    }

    @Test
    void yisFirstReleaseOpensUnderLlamaNames() throws Exception {
        TinyCheckpoint yi = TinyCheckpoint.builder().modelType("Yi").gqa(4, 2).sharded(2).build();
        yi.write(dir);
        assertTrue(Files.readString(dir.resolve("model.safetensors.index.json")).contains("model.layers.1.ln2.weight"));
        try (Checkpoint ck = Checkpoint.open(dir)) {
            assertEquals("yi", ck.config().modelType());
            assertEquals(ck.config().expectedTensors().keySet(), ck.weights().names());
            String name = "model.layers.1.post_attention_layernorm.weight";
            assertEquals(name, ck.weights().info(name).name());
            java.nio.FloatBuffer f = ck.weights().read(name, ai.djl.ndarray.types.DataType.FLOAT32).asFloatBuffer();
            float[] got = new float[f.remaining()];
            f.get(got);
            org.junit.jupiter.api.Assertions.assertArrayEquals(yi.values(name), got);
        }
    }

    @Test
    void bothSpellingsOfANormAreRefused() throws Exception {
        TinyCheckpoint.builder().write(dir);
        Path other = dir.resolve("yi");
        TinyCheckpoint.builder().modelType("Yi").write(other);
        // Keep llama's names and add a Yi-named tensor beside them.
        try (var in = dev.kun.model.checkpoint.SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            var infos = new java.util.ArrayList<dev.kun.model.checkpoint.TensorInfo>();
            for (String n : in.names()) infos.add(in.info(n));
            infos.add(new dev.kun.model.checkpoint.TensorInfo("model.layers.0.ln1.weight", "F32", new long[] {64}));
            Path file = other.resolve("both.safetensors");
            try (var w = new dev.kun.model.checkpoint.SafetensorsWriter(file, infos, java.util.Map.of())) {
                for (var t : infos) w.append(new float[(int) t.elementCount()]);
            }
            Files.move(file, dir.resolve("model.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        String m = openFails().getMessage();
        assertTrue(m.endsWith("hold both model.layers.0.input_layernorm.weight and model.layers.0.ln1.weight,"
                + " which are the same tensor under two spellings"), m);
    }
}
