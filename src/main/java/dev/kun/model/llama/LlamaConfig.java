package dev.kun.model.llama;

import ai.djl.Device;
import dev.kun.model.cpu.LayerPlacement;
import dev.kun.model.generation.CacheShape;
import dev.kun.model.checkpoint.CheckpointFiles;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The architecture of a Llama-family checkpoint, read from config.json with Hugging Face keys mapped
 * to descriptive names. Supported {@code model_type}s: {@code llama} (covers the "llamafied" Yi),
 * {@code Yi} (Yi's first release, {@code YiForCausalLM}: Llama's architecture under its own class
 * name, with the two norms of a layer stored as {@code ln1} and {@code ln2}, see
 * {@link #canonicalTensorName}), {@code mistral} and {@code qwen2}; they share one forward pass and
 * differ only in configuration and, for qwen2, biases on the q/k/v projections.
 *
 * <p>Sliding-window attention (mistral, qwen2 with {@code use_sliding_window}) is not implemented:
 * attention is fully causal, which is identical as long as a sequence fits in the window, so
 * {@link #maxContext()} is capped at the window and the engine must not run longer sequences.
 *
 * @param modelType        config {@code model_type}, lower-cased ({@code yi} for Yi's own {@code Yi})
 * @param hiddenSize       {@code hidden_size}: width of the residual stream
 * @param layers           {@code num_hidden_layers}
 * @param heads            {@code num_attention_heads}: query heads
 * @param kvHeads          {@code num_key_value_heads} (defaults to heads): key/value heads, fewer under GQA
 * @param headDim          {@code head_dim} when given, else hiddenSize / heads
 * @param intermediateSize {@code intermediate_size}: width of the gated MLP
 * @param vocabSize        {@code vocab_size}: rows of the embedding and of the output head
 * @param maxPositions     {@code max_position_embeddings}
 * @param rmsNormEps       {@code rms_norm_eps}
 * @param ropeTheta        {@code rope_theta} (default 10000): base of the rotary frequencies
 * @param ropeScale        linear {@code rope_scaling} factor, 1 when absent: positions are divided by it
 * @param tiedEmbeddings   {@code tie_word_embeddings}: the output head reuses the embedding matrix
 * @param attentionBias    q/k/v projections carry biases (qwen2 always; llama's {@code attention_bias})
 * @param slidingWindow    attention window in tokens, 0 when the model attends to everything
 * @param torchDtype       {@code torch_dtype} as stored ("bfloat16", ...), or "" when absent
 */
public record LlamaConfig(
        String modelType,
        int hiddenSize,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int intermediateSize,
        int vocabSize,
        int maxPositions,
        double rmsNormEps,
        double ropeTheta,
        double ropeScale,
        boolean tiedEmbeddings,
        boolean attentionBias,
        int slidingWindow,
        String torchDtype) {

    /** Model types this engine runs, as config.json spells them (case aside). */
    public static final List<String> SUPPORTED = List.of("llama", "mistral", "qwen2", "Yi");

    public LlamaConfig {
        if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
            throw new KunException(ExitCodes.BACKEND, "config.json: num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
    }

    /** Query heads that share one key/value head (1 without grouped-query attention). */
    public int kvGroups() {
        return heads / kvHeads;
    }

    /** Width of the concatenated query heads (may differ from hiddenSize when head_dim is explicit). */
    public int qDim() {
        return heads * headDim;
    }

    /** Width of the concatenated key (or value) heads. */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Longest sequence (prompt plus generation) the model may run: max positions, capped by the sliding window. */
    public int maxContext() {
        return slidingWindow > 0 ? Math.min(maxPositions, slidingWindow) : maxPositions;
    }

    /** Reads {@code dir/config.json}; errors are KunException(BACKEND) naming the file and key. */
    public static LlamaConfig read(Path dir) {
        Path file = dir.resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new KunException(ExitCodes.BACKEND, "config.json is missing in " + dir + " (not a Hugging Face checkpoint directory?)");
        }
        return parse(CheckpointFiles.readJson(file), file);
    }

    /** Maps config.json keys to a LlamaConfig; {@code file} names the source in error messages. */
    public static LlamaConfig parse(JsonNode c, Path file) {
        String type = modelType(c);
        if (type == null) {
            throw new KunException(ExitCodes.BACKEND, file + ": unsupported model_type '" + c.path("model_type").asText("")
                    + "' (supported: " + String.join(", ", SUPPORTED) + ")");
        }
        String act = c.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new KunException(ExitCodes.BACKEND, file + ": unsupported hidden_act '" + act + "' (supported: silu)");
        }
        if (c.path("mlp_bias").asBoolean(false)) {
            throw new KunException(ExitCodes.BACKEND, file + ": mlp_bias true is not supported");
        }
        int hidden = required(c, "hidden_size", file);
        int heads = required(c, "num_attention_heads", file);
        int kvHeads = c.path("num_key_value_heads").isInt() ? c.get("num_key_value_heads").asInt() : heads;
        int headDim;
        if (c.path("head_dim").isInt()) {
            headDim = c.get("head_dim").asInt();
        } else if (hidden % heads == 0) {
            headDim = hidden / heads;
        } else {
            throw new KunException(ExitCodes.BACKEND, file + ": hidden_size " + hidden
                    + " is not a multiple of num_attention_heads " + heads + " and head_dim is absent");
        }
        if (headDim % 2 != 0) {
            throw new KunException(ExitCodes.BACKEND, file + ": head_dim " + headDim + " is odd; rotary embeddings need pairs");
        }
        boolean bias = type.equals("qwen2") || c.path("attention_bias").asBoolean(false);
        int window = 0;
        boolean windowed = switch (type) {
            case "mistral" -> true;
            case "qwen2" -> c.path("use_sliding_window").asBoolean(false);
            default -> false;
        };
        if (windowed && c.path("sliding_window").isInt()) window = c.get("sliding_window").asInt();
        return new LlamaConfig(
                type,
                hidden,
                required(c, "num_hidden_layers", file),
                heads,
                kvHeads,
                headDim,
                required(c, "intermediate_size", file),
                required(c, "vocab_size", file),
                c.path("max_position_embeddings").asInt(4096),
                c.path("rms_norm_eps").asDouble(1e-6),
                c.path("rope_theta").asDouble(10000),
                ropeScale(c.get("rope_scaling"), file),
                c.path("tie_word_embeddings").asBoolean(false),
                bias,
                window,
                c.path("torch_dtype").asText(""));
    }

    /**
     * The lower-cased model type when this engine runs it, else null. Yi's first release wrote
     * {@code "model_type": "Yi"} and {@code YiForCausalLM}; a config that names only the architecture
     * counts too.
     */
    private static String modelType(JsonNode c) {
        String type = c.path("model_type").asText("").toLowerCase(java.util.Locale.ROOT);
        if (type.isEmpty()) {
            for (JsonNode a : c.path("architectures")) {
                if (a.asText().equals("YiForCausalLM")) type = "yi";
            }
        }
        for (String s : SUPPORTED) {
            if (s.toLowerCase(java.util.Locale.ROOT).equals(type)) return type;
        }
        return null;
    }

    /**
     * The Hugging Face Llama name of a tensor stored as {@code stored}: Yi's first release named a
     * layer's norms {@code ln1} (before attention, Llama's {@code input_layernorm}) and {@code ln2}
     * (before the MLP, {@code post_attention_layernorm}); every other name is already Llama's. The
     * "llamafied" Yi checkpoints differ from the first release only by this renaming.
     */
    public static String canonicalTensorName(String stored) {
        if (stored.startsWith("model.layers.")) {
            if (stored.endsWith(".ln1.weight")) {
                return stored.substring(0, stored.length() - "ln1.weight".length()) + "input_layernorm.weight";
            }
            if (stored.endsWith(".ln2.weight")) {
                return stored.substring(0, stored.length() - "ln2.weight".length()) + "post_attention_layernorm.weight";
            }
        }
        return stored;
    }

    /** Only linear scaling (positions divided by the factor) is implemented; other schemes change the frequencies. */
    private static double ropeScale(JsonNode s, Path file) {
        if (s == null || s.isNull()) return 1;
        String type = s.hasNonNull("rope_type") ? s.get("rope_type").asText() : s.path("type").asText("");
        if (type.equals("default")) return 1;
        if (!type.equals("linear")) {
            throw new KunException(ExitCodes.BACKEND, file + ": unsupported rope_scaling type '" + type + "' (supported: linear)");
        }
        double factor = s.path("factor").asDouble(0);
        if (!(factor >= 1)) {
            throw new KunException(ExitCodes.BACKEND, file + ": rope_scaling factor must be >= 1, got " + s.path("factor"));
        }
        return factor;
    }

    private static int required(JsonNode c, String key, Path file) {
        JsonNode n = c.get(key);
        if (n == null || !n.canConvertToInt() || n.asInt() <= 0) {
            throw new KunException(ExitCodes.BACKEND, file + ": " + key + " is missing or not a positive integer");
        }
        return n.asInt();
    }

    /**
     * Every tensor the model reads, by Hugging Face name, with its shape; {@code lm_head.weight} only
     * when the embeddings are untied.
     */
    public Map<String, long[]> expectedTensors() {
        Map<String, long[]> t = new LinkedHashMap<>();
        t.put("model.embed_tokens.weight", new long[] {vocabSize, hiddenSize});
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            t.put(p + "input_layernorm.weight", new long[] {hiddenSize});
            t.put(p + "self_attn.q_proj.weight", new long[] {qDim(), hiddenSize});
            t.put(p + "self_attn.k_proj.weight", new long[] {kvDim(), hiddenSize});
            t.put(p + "self_attn.v_proj.weight", new long[] {kvDim(), hiddenSize});
            if (attentionBias) {
                t.put(p + "self_attn.q_proj.bias", new long[] {qDim()});
                t.put(p + "self_attn.k_proj.bias", new long[] {kvDim()});
                t.put(p + "self_attn.v_proj.bias", new long[] {kvDim()});
            }
            t.put(p + "self_attn.o_proj.weight", new long[] {hiddenSize, qDim()});
            t.put(p + "post_attention_layernorm.weight", new long[] {hiddenSize});
            t.put(p + "mlp.gate_proj.weight", new long[] {intermediateSize, hiddenSize});
            t.put(p + "mlp.up_proj.weight", new long[] {intermediateSize, hiddenSize});
            t.put(p + "mlp.down_proj.weight", new long[] {hiddenSize, intermediateSize});
        }
        t.put("model.norm.weight", new long[] {hiddenSize});
        if (!tiedEmbeddings) t.put("lm_head.weight", new long[] {vocabSize, hiddenSize});
        return t;
    }

    /** Parameters the forward pass reads (tied embeddings counted once). */
    public long parameterCount() {
        long n = 0;
        for (long[] s : expectedTensors().values()) {
            long e = 1;
            for (long d : s) e *= d;
            n += e;
        }
        return n;
    }

    /** What the key/value cache holds per position for this configuration. */
    public CacheShape cacheShape() {
        return new CacheShape(layers(), kvHeads(), headDim());
    }

    /**
     * {@link LayerPlacement#byMemory} for this model's weights at {@code bytesPerElement} (the compute
     * dtype's width): the layers in proportion to each device's free memory, after the embedding on the
     * first device and the output head on the last.
     */
    public LayerPlacement placeByMemory(List<Device> devices, long[] freeBytes, int bytesPerElement) {
        long h = hiddenSize();
        long layerBytes = bytesPerElement * (2 * h
                + h * qDim() + 2 * h * kvDim() + (attentionBias() ? qDim() + 2L * kvDim() : 0)
                + (long) qDim() * h + 3 * h * intermediateSize());
        long embedBytes = (long) bytesPerElement * vocabSize() * h;
        // Tied embeddings share one matrix on a single device; split, the last device needs its own copy.
        boolean headShared = tiedEmbeddings() && devices.size() == 1;
        long headBytes = (long) bytesPerElement * (h + (headShared ? 0 : (long) vocabSize() * h));
        return LayerPlacement.byMemory(layers(), layerBytes, embedBytes, headBytes, devices, freeBytes);
    }
}
