package dev.kun.model.llama;

import dev.kun.model.checkpoint.GenerationConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FILE = Path.of("m/config.json");
    @TempDir Path dir;

    /** The config.json of Yi-34B (its architecture keys). */
    private static ObjectNode yi34b() throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 7168,
                 "intermediate_size": 20480, "num_attention_heads": 56, "num_hidden_layers": 60,
                 "num_key_value_heads": 8, "vocab_size": 64000, "max_position_embeddings": 4096,
                 "rms_norm_eps": 1e-05, "rope_theta": 5000000.0, "rope_scaling": null,
                 "tie_word_embeddings": false, "hidden_act": "silu", "torch_dtype": "bfloat16",
                 "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0}""");
    }

    @Test
    void yi34bMapsToDescriptiveNamesAndDerivedValues() throws Exception {
        LlamaConfig c = LlamaConfig.parse(yi34b(), FILE);
        assertEquals(128, c.headDim());
        assertEquals(7, c.kvGroups());
        assertEquals(1024, c.kvDim());
        assertEquals(7168, c.qDim());
        assertEquals(5_000_000.0, c.ropeTheta());
        assertEquals(1.0, c.ropeScale());
        assertEquals(1e-5, c.rmsNormEps());
        assertFalse(c.tiedEmbeddings());
        assertFalse(c.attentionBias());
        assertEquals(4096, c.maxContext());
        assertEquals("bfloat16", c.torchDtype());
        // Yi-34B has 34.4 billion parameters.
        assertEquals(34.39e9, c.parameterCount(), 0.01e9);
    }

    @Test
    void kvHeadsDefaultToHeadsAndHeadDimMayBeExplicit() throws Exception {
        ObjectNode n = yi34b();
        n.remove("num_key_value_heads");
        n.put("head_dim", 64);
        LlamaConfig c = LlamaConfig.parse(n, FILE);
        assertEquals(56, c.kvHeads());
        assertEquals(1, c.kvGroups());
        assertEquals(64, c.headDim());
        assertEquals(56 * 64, c.qDim());
        assertEquals(56 * 64, c.expectedTensors().get("model.layers.0.self_attn.o_proj.weight")[1]);
    }

    @Test
    void linearRopeScalingUnderEitherKey() throws Exception {
        ObjectNode n = yi34b();
        n.putObject("rope_scaling").put("type", "linear").put("factor", 4.0);
        assertEquals(4.0, LlamaConfig.parse(n, FILE).ropeScale());
        n.putObject("rope_scaling").put("rope_type", "linear").put("factor", 2);
        assertEquals(2.0, LlamaConfig.parse(n, FILE).ropeScale());
        n.putObject("rope_scaling").put("rope_type", "default");
        assertEquals(1.0, LlamaConfig.parse(n, FILE).ropeScale());
    }

    @Test
    void otherRopeScalingIsAClearError() throws Exception {
        for (String type : List.of("dynamic", "yarn", "llama3")) {
            ObjectNode n = yi34b();
            n.putObject("rope_scaling").put("type", type).put("factor", 2.0);
            KunException e = assertThrows(KunException.class, () -> LlamaConfig.parse(n, FILE));
            assertEquals(ExitCodes.BACKEND, e.exitCode());
            assertEquals(FILE + ": unsupported rope_scaling type '" + type + "' (supported: linear)", e.getMessage());
        }
    }

    @Test
    void unsupportedModelTypeNamesItAndTheSupportedOnes() throws Exception {
        ObjectNode n = yi34b();
        n.put("model_type", "gpt2");
        KunException e = assertThrows(KunException.class, () -> LlamaConfig.parse(n, FILE));
        assertEquals(ExitCodes.BACKEND, e.exitCode());
        assertEquals(FILE + ": unsupported model_type 'gpt2' (supported: llama, mistral, qwen2, Yi)", e.getMessage());
    }

    @Test
    void yisFirstReleaseIsLlama() throws Exception {
        // The config.json of Yi-34B as first released, before the checkpoints were "llamafied".
        ObjectNode n = yi34b();
        n.put("model_type", "Yi");
        n.putArray("architectures").add("YiForCausalLM");
        LlamaConfig c = LlamaConfig.parse(n, FILE);
        assertEquals("yi", c.modelType());
        assertEquals(LlamaConfig.parse(yi34b(), FILE).expectedTensors().keySet(), c.expectedTensors().keySet());
        assertFalse(c.attentionBias());
        assertEquals(0, c.slidingWindow());
        // Only the architecture named: still Yi.
        n.remove("model_type");
        assertEquals("yi", LlamaConfig.parse(n, FILE).modelType());
        // Another architecture without a model type is still refused in one line.
        n.putArray("architectures").add("GPTNeoXForCausalLM");
        KunException e = assertThrows(KunException.class, () -> LlamaConfig.parse(n, FILE));
        assertEquals(FILE + ": unsupported model_type '' (supported: llama, mistral, qwen2, Yi)", e.getMessage());
    }

    @Test
    void yiNormNamesMapToLlamas() {
        assertEquals("model.layers.12.input_layernorm.weight", LlamaConfig.canonicalTensorName("model.layers.12.ln1.weight"));
        assertEquals("model.layers.0.post_attention_layernorm.weight", LlamaConfig.canonicalTensorName("model.layers.0.ln2.weight"));
        assertEquals("model.layers.0.self_attn.q_proj.weight", LlamaConfig.canonicalTensorName("model.layers.0.self_attn.q_proj.weight"));
        assertEquals("model.norm.weight", LlamaConfig.canonicalTensorName("model.norm.weight"));
        assertEquals("lm_head.weight", LlamaConfig.canonicalTensorName("lm_head.weight"));
    }

    @Test
    void missingKeyIsNamed() throws Exception {
        ObjectNode n = yi34b();
        n.remove("intermediate_size");
        KunException e = assertThrows(KunException.class, () -> LlamaConfig.parse(n, FILE));
        assertTrue(e.getMessage().contains("intermediate_size"), e.getMessage());
    }

    @Test
    void mistralSlidingWindowCapsTheContext() {
        TinyCheckpoint.builder().modelType("mistral").maxPositions(256).slidingWindow(128).write(dir);
        LlamaConfig c = LlamaConfig.read(dir);
        assertEquals("mistral", c.modelType());
        assertEquals(128, c.slidingWindow());
        assertEquals(128, c.maxContext());
        assertFalse(c.attentionBias());
    }

    @Test
    void qwen2HasQkvBiasesAndIgnoresAnUnusedWindow() {
        TinyCheckpoint.builder().modelType("qwen2").gqa(4, 2).slidingWindow(64).tied(true).write(dir);
        LlamaConfig c = LlamaConfig.read(dir);
        assertTrue(c.attentionBias());
        assertEquals(0, c.slidingWindow(), "use_sliding_window is false");
        assertEquals(256, c.maxContext());
        assertTrue(c.expectedTensors().containsKey("model.layers.1.self_attn.k_proj.bias"));
        assertFalse(c.expectedTensors().containsKey("lm_head.weight"));
    }

    @Test
    void tinyCheckpointConfigRoundTrips() {
        TinyCheckpoint.builder().gqa(8, 2).hidden(64).headDim(16).linearRopeScaling(2).ropeTheta(5e6).write(dir);
        LlamaConfig c = LlamaConfig.read(dir);
        assertEquals(8, c.heads());
        assertEquals(2, c.kvHeads());
        assertEquals(16, c.headDim());
        assertEquals(2.0, c.ropeScale());
        assertEquals(5e6, c.ropeTheta());
    }

    @Test
    void generationConfigAcceptsIntOrListEos() throws Exception {
        GenerationConfig g = GenerationConfig.parse(JSON.readTree("{\"eos_token_id\": [2, 7], \"temperature\": 0.5}"));
        assertEquals(List.of(2, 7), g.eosTokenIds());
        assertEquals(0.5, g.temperature());
        assertNull(g.topP());
        assertEquals(List.of(7), GenerationConfig.parse(JSON.readTree("{\"eos_token_id\": 7}")).eosTokenIds());
        assertEquals(GenerationConfig.empty(), GenerationConfig.read(dir));
    }
}
