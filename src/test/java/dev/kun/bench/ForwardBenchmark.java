package dev.kun.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import dev.kun.model.generation.KvCache;
import dev.kun.model.cpu.LayerPlacement;
import dev.kun.model.llama.Llama;
import dev.kun.model.llama.LlamaConfig;
import dev.kun.model.llama.LlamaWeights;
import dev.kun.model.checkpoint.TensorInfo;
import dev.kun.model.generation.TokenBatch;
import dev.kun.model.checkpoint.WeightSource;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Times Llama.forward on a random model (default: the shape, hidden 768, 12 layers, 12 heads,
 * intermediate 2048, vocab 32000, F32): prefill tokens/s, decode tokens/s at batch 1 and 32.
 * Not run by surefire; run through scripts/bench-forward.sh. Args: threads [hidden layers heads intermediate
 * vocab]; system properties batches (1,32), steps, bare (forward against bare matvecs), profile (trace file).
 */
public final class ForwardBenchmark {
    static int[] BATCHES = java.util.Arrays.stream(System.getProperty("batches", "1,32").split(",")).filter(x -> !x.isBlank()).mapToInt(Integer::parseInt).toArray();
    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int h = args.length > 1 ? Integer.parseInt(args[1]) : 768;
        int layers = args.length > 2 ? Integer.parseInt(args[2]) : 12;
        int heads = args.length > 3 ? Integer.parseInt(args[3]) : 12;
        int inter = args.length > 4 ? Integer.parseInt(args[4]) : 2048;
        int vocab = args.length > 5 ? Integer.parseInt(args[5]) : 32000;
        Engine.getEngine("PyTorch");
        JniUtils.setNumThreads(threads);
        LlamaConfig config = new LlamaConfig("llama", h, layers, heads, heads, h / heads, inter, vocab, 2048,
                1e-5, 10000, 1, false, false, 0, "float32");
        try (NDManager root = NDManager.newBaseManager(Device.cpu())) {
            LayerPlacement devices = LayerPlacement.single(layers, Device.cpu());
            long t0 = System.nanoTime();
            LlamaWeights w = LlamaWeights.load(config, new RandomWeights(config), DataType.FLOAT32, devices, root);
            System.err.printf("load %.1f s, %.1f MB; %s%n", (System.nanoTime() - t0) / 1e9, w.bytes() / 1e6, rss());
            Llama model = new Llama(w, 2048, root);
            KvCache cache = new KvCache(config.cacheShape(), devices, 32, 2048, DataType.FLOAT32, root);
            Random rnd = new Random(1);
            // prefill: 4 x 128 tokens
            for (int rep = 0; rep < 3; rep++) {
                int[][] rows = new int[4][128];
                for (int[] r : rows) for (int i = 0; i < r.length; i++) r[i] = rnd.nextInt(vocab);
                long s = System.nanoTime();
                step(model, cache, root, new TokenBatch(rows, 0, new int[4], false));
                double sec = (System.nanoTime() - s) / 1e9;
                System.err.printf("prefill 4x128: %.0f tokens/s%n", 512 / sec);
            }
            String profile = System.getProperty("profile");
            if (profile != null) {
                // PyTorch's profiler over a few decode steps: which ops take the time.
                for (int i = 0; i < 5; i++) step(model, cache, root, new TokenBatch(new int[][] {{rnd.nextInt(vocab)}}, 0, new int[] {100 + i}, false));
                JniUtils.startProfile(false, true, false);
                for (int i = 0; i < 10; i++) step(model, cache, root, new TokenBatch(new int[][] {{rnd.nextInt(vocab)}}, 0, new int[] {110 + i}, false));
                JniUtils.stopProfile(profile);
                return;
            }
            if (Boolean.getBoolean("bare")) {
                // Forward step against the bare matrix products over the same weights, interleaved, so
                // the ratio (the cost of everything but the weight reads) survives a noisy machine.
                for (int rep = 0; rep < 4; rep++) {
                    int steps = Integer.getInteger("steps", 20);
                    int start = 200 + rep * steps;
                    long s = System.nanoTime();
                    for (int i = 0; i < steps; i++) {
                        step(model, cache, root, new TokenBatch(new int[][] {{rnd.nextInt(vocab)}}, 0, new int[] {start + i}, false));
                    }
                    double forward = (System.nanoTime() - s) / 1e9 / steps;
                    s = System.nanoTime();
                    for (int i = 0; i < steps; i++) bare(w, root, h, inter);
                    double bare = (System.nanoTime() - s) / 1e9 / steps;
                    System.err.printf("B=1 forward %.2f ms/token (%.1f tok/s), bare matvecs %.2f ms (%.1f tok/s, %.1f GB/s): overhead %.0f%%%n",
                            forward * 1e3, 1 / forward, bare * 1e3, 1 / bare, w.bytes() / bare / 1e9, 100 * (forward - bare) / bare);
                }
            }
            for (int batch : BATCHES) {
                for (int rep = 0; rep < 3; rep++) {
                    int steps = Integer.getInteger("steps", batch == 1 ? 40 : 8);
                    int[] start = new int[batch];
                    java.util.Arrays.fill(start, 128 + rep * steps);
                    long s = System.nanoTime();
                    for (int i = 0; i < steps; i++) {
                        int[][] rows = new int[batch][1];
                        for (int[] r : rows) r[0] = rnd.nextInt(vocab);
                        step(model, cache, root, new TokenBatch(rows, 0, start.clone(), false));
                        for (int b = 0; b < batch; b++) start[b]++;
                    }
                    double sec = (System.nanoTime() - s) / 1e9;
                    System.err.printf("decode B=%d: %.1f tokens/s (%.1f ms/step, %.1f GB/s weights)%n",
                            batch, steps * batch / sec, sec / steps * 1e3, w.bytes() * steps / sec / 1e9);
                }
            }
            long kvBytes = 2L * layers * cache.slots() * config.kvHeads() * (long) cache.maxContext() * config.headDim() * 4;
            System.err.printf("weights %.0f MB, KV cache %.0f MB (allocated, max context %d); %s%n", w.bytes() / 1e6, kvBytes / 1e6, cache.maxContext(), rss());
        }
    }

    /** Peak and current resident set of this process (Linux /proc), for the RSS figure. */
    static String rss() {
        try {
            return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("VmHWM") || l.startsWith("VmRSS")).map(l -> l.replaceAll("\\s+", " "))
                    .collect(java.util.stream.Collectors.joining(", "));
        } catch (java.io.IOException e) {
            return "rss unavailable";
        }
    }

    private static void bare(LlamaWeights w, NDManager root, int h, int inter) {
        try (NDManager step = root.newSubManager()) {
            NDArray x = step.randomNormal(new ai.djl.ndarray.types.Shape(1, 1, h));
            NDArray xi = step.randomNormal(new ai.djl.ndarray.types.Shape(1, 1, inter));
            for (LlamaWeights.Layer l : w.layers()) {
                LlamaWeights.Shard s = l.shards().get(0);
                s.qkv().apply(x); s.output().apply(x); s.gateUp().apply(x); s.down().apply(xi);
            }
            w.headShards().get(0).apply(x).toFloatArray();
        }
    }

    private static void step(Llama model, KvCache cache, NDManager root, TokenBatch batch) {
        try (NDManager step = root.newSubManager()) {
            NDArray logits = model.forward(batch, cache, step);
            logits.toFloatArray();
        }
    }

    /** Gaussian weights made on the fly, std 1/sqrt(fan-in), norms 1. */
    static final class RandomWeights implements WeightSource {
        private final Map<String, TensorInfo> infos = new LinkedHashMap<>();

        RandomWeights(LlamaConfig c) {
            add("model.embed_tokens.weight", c.vocabSize(), c.hiddenSize());
            for (int l = 0; l < c.layers(); l++) {
                String p = "model.layers." + l + ".";
                add(p + "input_layernorm.weight", c.hiddenSize());
                add(p + "self_attn.q_proj.weight", c.qDim(), c.hiddenSize());
                add(p + "self_attn.k_proj.weight", c.kvDim(), c.hiddenSize());
                add(p + "self_attn.v_proj.weight", c.kvDim(), c.hiddenSize());
                add(p + "self_attn.o_proj.weight", c.hiddenSize(), c.qDim());
                add(p + "post_attention_layernorm.weight", c.hiddenSize());
                add(p + "mlp.gate_proj.weight", c.intermediateSize(), c.hiddenSize());
                add(p + "mlp.up_proj.weight", c.intermediateSize(), c.hiddenSize());
                add(p + "mlp.down_proj.weight", c.hiddenSize(), c.intermediateSize());
            }
            add("model.norm.weight", c.hiddenSize());
            add("lm_head.weight", c.vocabSize(), c.hiddenSize());
        }

        private void add(String name, long... shape) {
            infos.put(name, new TensorInfo(name, "F32", shape));
        }

        @Override public Set<String> names() { return infos.keySet(); }
        @Override public TensorInfo info(String name) { return infos.get(name); }
        @Override public ByteBuffer read(String name, DataType target) {
            TensorInfo t = infos.get(name);
            int n = (int) t.elementCount();
            ByteBuffer b = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.LITTLE_ENDIAN);
            Random r = new Random(name.hashCode());
            boolean norm = t.shape().length == 1;
            double std = norm ? 0 : 1 / Math.sqrt(t.shape()[1]);
            for (int i = 0; i < n; i++) b.putFloat(norm ? 1f : (float) (r.nextGaussian() * std));
            return b.rewind();
        }
        @Override public void close() {}
    }
}
