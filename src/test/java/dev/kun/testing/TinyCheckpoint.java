package dev.kun.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.model.checkpoint.SafetensorsWriter;
import dev.kun.model.checkpoint.TensorInfo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A tiny random Llama-family checkpoint in the real Hugging Face layout (config.json,
 * generation_config.json, tokenizer.json, tokenizer_config.json, safetensors single or sharded),
 * written by our own {@link SafetensorsWriter}. Weights are a pure function of (seed, tensor name), so
 * {@link #values(String)} gives any tensor's exact float values without reading the files back.
 *
 * <pre>TinyCheckpoint.builder().gqa(4, 2).dtype("BF16").sharded(3).tied(true).write(dir)</pre>
 *
 * <p>The tokenizer is a Llama/Yi-style BPE with byte fallback (every Unicode string encodes), with
 * Yi's special-token ids: {@code <unk>}=0, {@code <|startoftext|>}=1, {@code <|endoftext|>}=2,
 * {@code <|im_start|>}=6, {@code <|im_end|>}=7, {@code <|im_sep|>}=8; bytes {@code <0x00>..<0xFF>}
 * are ids 9..264. Its vocabulary is padded with CJK characters up to {@code vocab}, so every id of
 * the model decodes to something. {@link Builder#byteLevelTokenizer} switches to a GPT-2/Qwen2-style
 * byte-level BPE with the same special ids and bytes at the same ids.
 */
public record TinyCheckpoint(
        String modelType,
        int hidden,
        int layers,
        int heads,
        int kvHeads,
        int intermediate,
        int vocab,
        int headDim,
        double ropeTheta,
        String ropeScalingType,
        double ropeScalingFactor,
        boolean tied,
        int maxPositions,
        double rmsNormEps,
        String dtype,
        int shards,
        long seed,
        Integer slidingWindow,
        boolean generationConfig,
        boolean byteLevelTokenizer) {

    public static final int UNK = 0;
    public static final int BOS = 1;
    public static final int ENDOFTEXT = 2;
    public static final int IM_START = 6;
    public static final int IM_END = 7;
    public static final int IM_SEP = 8;
    /** Id of byte token {@code <0x00>}; byte b is {@code FIRST_BYTE + b}. */
    public static final int FIRST_BYTE = 9;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String SPACE = "\u2581";
    private static final String[] SPECIALS = {
        "<unk>", "<|startoftext|>", "<|endoftext|>", "<|reserved_3|>", "<|reserved_4|>", "<|reserved_5|>",
        "<|im_start|>", "<|im_end|>", "<|im_sep|>",
    };
    /** (left, right) pairs in rank order; each result is added to the vocabulary. */
    private static final String[][] MERGES = {
        {SPACE, "t"}, {"h", "e"}, {SPACE + "t", "he"}, {"i", "n"}, {SPACE, "a"}, {"e", "r"}, {"o", "n"},
        {SPACE, "i"}, {"r", "e"}, {"a", "t"}, {"n", "g"}, {"in", "g"}, {"新", "闻"}, {"回", "答"}, {"指", "令"},
    };
    private static final String CJK = "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年"
            + "新闻材料图片链接网址根据简历简介文章摘要文本提取关键词网站作为知识库抱歉好差指令回复已知请回答用户助手"
            + "【】：，。！？、“”";

    /** Builder with defaults: llama, hidden 64, 2 layers, 4 heads (no GQA), F32, single file, untied. */
    public static Builder builder() {
        return new Builder();
    }

    /** The tokenizer vocabulary in id order, padded to {@code size} entries (at least {@link #minVocab()}). */
    public static List<String> tokenizerVocabulary(int size) {
        List<String> vocab = new ArrayList<>(List.of(SPECIALS));
        for (int b = 0; b < 256; b++) vocab.add(String.format("<0x%02X>", b));
        Set<String> pieces = new LinkedHashSet<>();
        pieces.add(SPACE);
        for (char c = 0x21; c < 0x7f; c++) pieces.add(String.valueOf(c));
        for (String[] m : MERGES) pieces.add(m[0] + m[1]);
        CJK.codePoints().forEach(cp -> pieces.add(Character.toString(cp)));
        vocab.addAll(pieces);
        if (size < vocab.size()) {
            throw new IllegalArgumentException("vocab " + size + " is below the tokenizer's " + vocab.size() + " base tokens");
        }
        Set<String> seen = new LinkedHashSet<>(vocab);
        // Letters from the CJK block on, skipping surrogates and private use (jump to CJK extension B),
        // so even a 64000-token vocabulary is all valid, printable text.
        for (int cp = 0x4e00; vocab.size() < size; cp++) {
            if (cp == 0xd800) cp = 0x20000;
            String s = Character.toString(cp);
            if (Character.isLetter(cp) && seen.add(s)) vocab.add(s);
        }
        return vocab;
    }

    /**
     * GPT-2/Qwen2-style byte-level vocabulary in id order: the same nine specials, then the 256 byte
     * symbols at ids 9..264 in byte order (so {@link #FIRST_BYTE} + b is byte b here too), merges for
     * common English pieces and for every CJK character of the base set, then letter-string fillers.
     */
    public static List<String> byteLevelVocabulary(int size) {
        List<String> vocab = new ArrayList<>(List.of(SPECIALS));
        for (int b = 0; b < 256; b++) vocab.add(BYTE_SYMBOL[b]);
        for (String[] m : byteLevelMerges()) {
            if (!vocab.contains(m[0] + m[1])) vocab.add(m[0] + m[1]);
        }
        if (size < vocab.size()) {
            throw new IllegalArgumentException("vocab " + size + " is below the tokenizer's " + vocab.size() + " base tokens");
        }
        Set<String> seen = new LinkedHashSet<>(vocab);
        for (int n = 0; vocab.size() < size; n++) {
            StringBuilder sb = new StringBuilder();
            for (int k = n + 26 * 26; k > 0; k /= 26) sb.append((char) ('a' + k % 26));
            if (seen.add(sb.toString())) vocab.add(sb.toString());
        }
        return vocab;
    }

    /** Byte-level merges in rank order: English pieces, then each CJK character built from its UTF-8 bytes. */
    static List<String[]> byteLevelMerges() {
        String space = BYTE_SYMBOL[' '];
        Set<List<String>> merges = new LinkedHashSet<>();
        for (String[] m : MERGES) {
            if (m[0].codePointAt(0) >= 0x3000) continue;
            merges.add(List.of(m[0].replace(SPACE, space), m[1].replace(SPACE, space)));
        }
        CJK.codePoints().forEach(cp -> {
            byte[] utf8 = Character.toString(cp).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            String left = BYTE_SYMBOL[utf8[0] & 0xff];
            for (int i = 1; i < utf8.length; i++) {
                String right = BYTE_SYMBOL[utf8[i] & 0xff];
                merges.add(List.of(left, right));
                left = left + right;
            }
        });
        List<String[]> out = new ArrayList<>();
        for (List<String> m : merges) out.add(new String[] {m.get(0), m.get(1)});
        return out;
    }

    /** GPT-2's reversible map from bytes to printable symbols (bytes_to_unicode). */
    private static final String[] BYTE_SYMBOL = new String[256];

    static {
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
            BYTE_SYMBOL[b] = Character.toString(printable ? b : 256 + n++);
        }
    }

    /** The smallest vocab_size the tokenizer fits in. */
    public static int minVocab() {
        return 9 + 256 + 1 + 94 + MERGES.length + (int) CJK.codePoints().distinct().count();
    }

    /** Writes a tokenizer.json (and nothing else) of {@code vocabSize} tokens to {@code file}. */
    public static Path writeTokenizer(Path file, int vocabSize) {
        return writeTokenizer(file, vocabSize, false);
    }

    /** As {@link #writeTokenizer(Path, int)}, byte-level (GPT-2/Qwen2 style) when {@code byteLevel}. */
    public static Path writeTokenizer(Path file, int vocabSize, boolean byteLevel) {
        writeJson(file, byteLevel ? byteLevelTokenizerJson(vocabSize) : tokenizerJson(vocabSize));
        return file;
    }

    /** Writes the default tokenizer.json (512 tokens) to {@code file}. */
    public static Path writeTokenizer(Path file) {
        return writeTokenizer(file, 512);
    }

    public int effectiveHeadDim() {
        return headDim > 0 ? headDim : hidden / heads;
    }

    /** Every weight tensor in writing order, with this checkpoint's dtype. */
    public List<TensorInfo> tensors() {
        int hd = effectiveHeadDim();
        List<TensorInfo> t = new ArrayList<>();
        t.add(info("model.embed_tokens.weight", vocab, hidden));
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            t.add(info(p + "input_layernorm.weight", hidden));
            t.add(info(p + "self_attn.q_proj.weight", heads * hd, hidden));
            t.add(info(p + "self_attn.k_proj.weight", kvHeads * hd, hidden));
            t.add(info(p + "self_attn.v_proj.weight", kvHeads * hd, hidden));
            if (modelType.equals("qwen2")) {
                t.add(info(p + "self_attn.q_proj.bias", heads * hd));
                t.add(info(p + "self_attn.k_proj.bias", kvHeads * hd));
                t.add(info(p + "self_attn.v_proj.bias", kvHeads * hd));
            }
            t.add(info(p + "self_attn.o_proj.weight", hidden, heads * hd));
            t.add(info(p + "post_attention_layernorm.weight", hidden));
            t.add(info(p + "mlp.gate_proj.weight", intermediate, hidden));
            t.add(info(p + "mlp.up_proj.weight", intermediate, hidden));
            t.add(info(p + "mlp.down_proj.weight", hidden, intermediate));
        }
        t.add(info("model.norm.weight", hidden));
        if (!tied) t.add(info("lm_head.weight", vocab, hidden));
        return t;
    }

    /**
     * The exact float values of tensor {@code name} before narrowing to {@link #dtype()}: Gaussian with
     * std 1/sqrt(fan_in) for projections, around 1 for norms, so logits are peaked enough that greedy
     * decoding is stable under float reordering.
     */
    public float[] values(String name) {
        TensorInfo t = tensors().stream().filter(x -> x.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no tensor " + name));
        Random rnd = new Random(seed * 0x9E3779B97F4A7C15L ^ name.hashCode());
        float[] v = new float[Math.toIntExact(t.elementCount())];
        double std;
        double mean = 0;
        if (name.endsWith("norm.weight")) {
            mean = 1;
            std = 0.1;
        } else if (name.endsWith(".bias")) {
            std = 0.1;
        } else if (name.equals("model.embed_tokens.weight")) {
            std = tied ? 3 / Math.sqrt(hidden) : 1;
        } else if (name.equals("lm_head.weight")) {
            std = 3 / Math.sqrt(hidden);
        } else {
            std = 1 / Math.sqrt(t.shape()[1]);
        }
        for (int i = 0; i < v.length; i++) v[i] = (float) (mean + std * rnd.nextGaussian());
        return v;
    }

    /** Writes the whole checkpoint into {@code dir} (created if needed) and returns {@code dir}. */
    public Path write(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        writeJson(dir.resolve("config.json"), configJson());
        if (generationConfig) writeJson(dir.resolve("generation_config.json"), generationConfigJson());
        writeJson(dir.resolve("tokenizer.json"), byteLevelTokenizer ? byteLevelTokenizerJson(vocab) : tokenizerJson(vocab));
        writeJson(dir.resolve("tokenizer_config.json"), tokenizerConfigJson());
        writeWeights(dir);
        return dir;
    }

    private void writeWeights(Path dir) {
        List<TensorInfo> all = tensors();
        if (shards <= 1) {
            writeShard(dir.resolve("model.safetensors"), all);
            return;
        }
        if (all.size() < shards) throw new IllegalArgumentException("more shards than tensors");
        long total = all.stream().mapToLong(this::bytes).sum();
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", total);
        ObjectNode map = index.putObject("weight_map");
        int next = 0;
        long done = 0;
        for (int s = 0; s < shards; s++) {
            String name = String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            List<TensorInfo> part = new ArrayList<>();
            long target = total * (s + 1) / shards;
            // Fill up to this shard's share of the bytes, leaving at least one tensor per later shard.
            while (next < all.size() - (shards - s - 1)
                    && (part.isEmpty() || s == shards - 1 || done + bytes(all.get(next)) <= target)) {
                done += bytes(all.get(next));
                part.add(all.get(next++));
            }
            for (TensorInfo t : part) map.put(storedName(t.name()), name);
            writeShard(dir.resolve(name), part);
        }
        writeJson(dir.resolve("model.safetensors.index.json"), index);
    }

    private long bytes(TensorInfo t) {
        return t.elementCount() * SafetensorsWriter.bytesPerElement(t.dtype());
    }

    /**
     * The name a tensor is written under: Llama's, except for model type "Yi" (Yi's first release),
     * which stores a layer's norms as {@code ln1} and {@code ln2}.
     */
    public String storedName(String name) {
        if (!modelType.equals("Yi")) return name;
        return name.replace(".input_layernorm.", ".ln1.").replace(".post_attention_layernorm.", ".ln2.");
    }

    private void writeShard(Path file, List<TensorInfo> tensors) {
        List<TensorInfo> part = tensors.stream().map(t -> new TensorInfo(storedName(t.name()), t.dtype(), t.shape())).toList();
        try (SafetensorsWriter w = new SafetensorsWriter(file, part, Map.of("format", "pt"))) {
            for (TensorInfo t : tensors) w.append(values(t.name()));
        }
    }

    private TensorInfo info(String name, long... shape) {
        return new TensorInfo(name, dtype, shape);
    }

    private ObjectNode configJson() {
        ObjectNode c = JSON.createObjectNode();
        String arch = switch (modelType) {
            case "mistral" -> "MistralForCausalLM";
            case "qwen2" -> "Qwen2ForCausalLM";
            case "Yi" -> "YiForCausalLM";
            default -> "LlamaForCausalLM";
        };
        c.putArray("architectures").add(arch);
        c.put("model_type", modelType);
        c.put("hidden_size", hidden);
        c.put("intermediate_size", intermediate);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        if (headDim > 0) c.put("head_dim", headDim);
        c.put("vocab_size", vocab);
        c.put("max_position_embeddings", maxPositions);
        c.put("rms_norm_eps", rmsNormEps);
        c.put("rope_theta", ropeTheta);
        if (ropeScalingType == null) {
            c.putNull("rope_scaling");
        } else {
            c.putObject("rope_scaling").put("type", ropeScalingType).put("factor", ropeScalingFactor);
        }
        c.put("tie_word_embeddings", tied);
        c.put("hidden_act", "silu");
        c.put("bos_token_id", BOS);
        c.put("eos_token_id", ENDOFTEXT);
        c.put("pad_token_id", UNK);
        c.put("torch_dtype", switch (dtype) {
            case "BF16" -> "bfloat16";
            case "F16" -> "float16";
            default -> "float32";
        });
        if (modelType.equals("llama")) c.put("attention_bias", false);
        if (modelType.equals("mistral") || modelType.equals("qwen2")) {
            if (slidingWindow == null) c.putNull("sliding_window"); else c.put("sliding_window", slidingWindow);
        }
        if (modelType.equals("qwen2")) c.put("use_sliding_window", false);
        c.put("transformers_version", "4.44.0");
        return c;
    }

    private ObjectNode generationConfigJson() {
        ObjectNode g = JSON.createObjectNode();
        g.put("bos_token_id", BOS);
        // Yi chat models stop on <|im_end|> as well as <|endoftext|>: the list form of eos_token_id.
        g.putArray("eos_token_id").add(ENDOFTEXT).add(IM_END);
        g.put("pad_token_id", UNK);
        g.put("do_sample", true);
        g.put("temperature", 0.6);
        g.put("top_p", 0.8);
        g.put("transformers_version", "4.44.0");
        return g;
    }

    private ObjectNode tokenizerConfigJson() {
        ObjectNode t = JSON.createObjectNode();
        t.put("add_bos_token", false);
        t.put("add_eos_token", false);
        t.put("bos_token", SPECIALS[BOS]);
        t.put("eos_token", SPECIALS[ENDOFTEXT]);
        t.put("pad_token", SPECIALS[UNK]);
        t.put("unk_token", SPECIALS[UNK]);
        t.put("model_max_length", maxPositions);
        t.put("tokenizer_class", "LlamaTokenizer");
        t.put("chat_template", "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}");
        return t;
    }

    /** The part both tokenizer layouts share: format version and the special tokens at their Yi ids. */
    private static ObjectNode tokenizerRoot() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIALS.length; i++) {
            added.addObject().put("id", i).put("content", SPECIALS[i]).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        return root;
    }

    /** A Llama/Yi-layout tokenizer.json: SentencePiece-style BPE with byte fallback, BOS post-processor. */
    static ObjectNode tokenizerJson(int vocabSize) {
        List<String> vocab = tokenizerVocabulary(vocabSize);
        ObjectNode root = tokenizerRoot();
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "Sequence");
        ArrayNode norms = norm.putArray("normalizers");
        norms.addObject().put("type", "Prepend").put("prepend", SPACE);
        ObjectNode replace = norms.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", SPACE);
        root.putNull("pre_tokenizer");
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", SPECIALS[BOS]).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", SPECIALS[BOS]).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", SPECIALS[BOS]).put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode st = post.putObject("special_tokens").putObject(SPECIALS[BOS]);
        st.put("id", SPECIALS[BOS]);
        st.putArray("ids").add(BOS);
        st.putArray("tokens").add(SPECIALS[BOS]);
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "Sequence");
        ArrayNode decs = dec.putArray("decoders");
        ObjectNode space = decs.addObject().put("type", "Replace");
        space.putObject("pattern").put("String", SPACE);
        space.put("content", " ");
        decs.addObject().put("type", "ByteFallback");
        decs.addObject().put("type", "Fuse");
        decs.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", SPECIALS[UNK]);
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        ObjectNode v = model.putObject("vocab");
        for (int i = 0; i < vocab.size(); i++) v.put(vocab.get(i), i);
        ArrayNode merges = model.putArray("merges");
        for (String[] m : MERGES) merges.add(m[0] + " " + m[1]);
        return root;
    }

    /** A GPT-2/Qwen2-layout tokenizer.json: NFC, byte-level pre-tokenizer and decoder, no byte fallback. */
    static ObjectNode byteLevelTokenizerJson(int vocabSize) {
        List<String> vocab = byteLevelVocabulary(vocabSize);
        ObjectNode root = tokenizerRoot();
        root.putObject("normalizer").put("type", "NFC");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        root.putObject("post_processor").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", false).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", false).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode v = model.putObject("vocab");
        for (int i = 0; i < vocab.size(); i++) v.put(vocab.get(i), i);
        ArrayNode merges = model.putArray("merges");
        for (String[] m : byteLevelMerges()) merges.add(m[0] + " " + m[1]);
        return root;
    }

    private static void writeJson(Path file, ObjectNode node) {
        try {
            Files.writeString(file, JSON.writeValueAsString(node));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Fluent construction of a {@link TinyCheckpoint}; every setter returns this builder. */
    public static final class Builder {
        private String modelType = "llama";
        private int hidden = 64;
        private int layers = 2;
        private int heads = 4;
        private int kvHeads = 4;
        private int intermediate = 128;
        private int vocab = 512;
        private int headDim = 0;
        private double ropeTheta = 10000;
        private String ropeScalingType = null;
        private double ropeScalingFactor = 1;
        private boolean tied = false;
        private int maxPositions = 256;
        private double rmsNormEps = 1e-6;
        private String dtype = "F32";
        private int shards = 1;
        private long seed = 42;
        private Integer slidingWindow = null;
        private boolean generationConfig = true;
        private boolean byteLevelTokenizer = false;

        /** config.json's model_type; "Yi" writes Yi's first release (YiForCausalLM, ln1/ln2 norms). */
        public Builder modelType(String v) { modelType = v; return this; }
        public Builder hidden(int v) { hidden = v; return this; }
        public Builder layers(int v) { layers = v; return this; }
        public Builder heads(int v) { heads = v; return this; }
        public Builder kvHeads(int v) { kvHeads = v; return this; }
        /** Grouped-query attention: {@code heads} query heads sharing {@code kvHeads} key/value heads. */
        public Builder gqa(int heads, int kvHeads) { this.heads = heads; this.kvHeads = kvHeads; return this; }
        public Builder intermediate(int v) { intermediate = v; return this; }
        public Builder vocab(int v) { vocab = v; return this; }
        /** Writes an explicit {@code head_dim} (otherwise hidden / heads, and the key is omitted). */
        public Builder headDim(int v) { headDim = v; return this; }
        public Builder ropeTheta(double v) { ropeTheta = v; return this; }
        /** Writes {@code rope_scaling: {type, factor}}; any type may be written, to test rejection. */
        public Builder ropeScaling(String type, double factor) { ropeScalingType = type; ropeScalingFactor = factor; return this; }
        public Builder linearRopeScaling(double factor) { return ropeScaling("linear", factor); }
        public Builder tied(boolean v) { tied = v; return this; }
        public Builder maxPositions(int v) { maxPositions = v; return this; }
        public Builder rmsNormEps(double v) { rmsNormEps = v; return this; }
        /** Weight dtype: "F32", "F16" or "BF16". */
        public Builder dtype(String v) { SafetensorsWriter.bytesPerElement(v); dtype = v; return this; }
        /** Number of shard files; 1 writes a single model.safetensors without an index. */
        public Builder sharded(int v) { shards = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        /** Mistral/Qwen2 {@code sliding_window}; null writes JSON null. */
        public Builder slidingWindow(Integer v) { slidingWindow = v; return this; }
        public Builder generationConfig(boolean v) { generationConfig = v; return this; }
        /** GPT-2/Qwen2-style byte-level BPE instead of the Llama/Yi SentencePiece-style BPE with byte fallback. */
        public Builder byteLevelTokenizer(boolean v) { byteLevelTokenizer = v; return this; }

        public TinyCheckpoint build() {
            if (hidden % heads != 0 && headDim == 0) throw new IllegalArgumentException("hidden must divide by heads");
            if (heads % kvHeads != 0) throw new IllegalArgumentException("heads must divide by kv heads");
            if (byteLevelTokenizer) byteLevelVocabulary(vocab); else tokenizerVocabulary(vocab);
            return new TinyCheckpoint(modelType, hidden, layers, heads, kvHeads, intermediate, vocab, headDim,
                    ropeTheta, ropeScalingType, ropeScalingFactor, tied, maxPositions, rmsNormEps, dtype, shards,
                    seed, slidingWindow, generationConfig, byteLevelTokenizer);
        }

        /** Builds and writes into {@code dir}; returns {@code dir}. */
        public Path write(Path dir) {
            return build().write(dir);
        }
    }
}
