package dev.kun.model.llama;

import dev.kun.model.cpu.Linear;
import dev.kun.model.checkpoint.SafetensorsWeights;
import dev.kun.model.checkpoint.MemoryWeights;
import dev.kun.model.generation.TokenBatch;
import dev.kun.model.cpu.LayerPlacement;
import dev.kun.model.cpu.TensorParallel;
import dev.kun.model.generation.KvCache;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The DJL forward against a plain Java reference, with and without the cache, batched and padded. */
class LlamaTest {
    static NDManager root;
    @TempDir static Path tmp;

    @BeforeAll
    static void open() {
        root = NDManager.newBaseManager(Device.cpu());
    }

    @AfterAll
    static void closeAll() {
        root.close();
    }

    /**
     * Each checkpoint variant unsharded and in two tensor-parallel shards (where its kv heads allow),
     * with its matrices in oneDNN's packed layout and dense.
     */
    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of("llama F32 untied", TinyCheckpoint.builder().seed(1).build()),
                Arguments.of("llama BF16 GQA tied", TinyCheckpoint.builder().seed(2).gqa(4, 2).tied(true).dtype("BF16").build()),
                Arguments.of("qwen2 biases, GQA 4:2, linear rope x2, theta 500k",
                        TinyCheckpoint.builder().seed(3).modelType("qwen2").gqa(4, 2).linearRopeScaling(2.0).ropeTheta(500000).build()),
                Arguments.of("qwen2 biases, GQA 4:1",
                        TinyCheckpoint.builder().seed(8).modelType("qwen2").gqa(4, 1).build()))
                .flatMap(a -> Stream.of(1, 2).map(shards -> Arguments.of(a.get()[0] + ", " + shards + " shard(s)", a.get()[1], shards)))
                .flatMap(a -> Stream.of(true, false).map(packed ->
                        Arguments.of(a.get()[0] + (packed ? ", packed" : ", dense"), a.get()[1], a.get()[2], packed)));
    }

    /** A loaded model over {@code c}, with a cache of {@code slots} slots. */
    record Loaded(TinyCheckpoint c, LlamaConfig config, LlamaWeights weights, TensorParallel parallel, Llama model, KvCache cache)
            implements AutoCloseable {
        static Loaded of(TinyCheckpoint c, int slots, String name) {
            return of(c, slots, name, 1, true);
        }

        /**
         * With up to {@code shards} tensor-parallel shards (fewer when the kv heads do not divide), its
         * matrices packed for oneDNN or dense.
         */
        static Loaded of(TinyCheckpoint c, int slots, String name, int shards, boolean packed) {
            Path dir = c.write(tmp.resolve(name.replaceAll("[^a-zA-Z0-9]", "_") + slots));
            LlamaConfig config = LlamaConfig.read(dir);
            int n = LlamaWeights.shardsFor(config, shards);
            LayerPlacement devices = LayerPlacement.single(config.layers(), Device.cpu());
            LlamaWeights w = LlamaWeights.load(config, new MemoryWeights(c), DataType.FLOAT32, devices, n, packed, root);
            // The libtorch of the Maven artifact has oneDNN: asking for packed weights must get them.
            assertEquals(packed, w.packed(), "packed");
            for (LlamaWeights.Layer l : w.layers()) {
                for (LlamaWeights.Shard s : l.shards()) assertEquals(packed, s.qkv().packed() && s.output().packed() && s.gateUp().packed() && s.down().packed());
            }
            // A tied head is the embedding's table, which stays dense; an untied one is packed with the rest.
            for (Linear block : w.headShards()) assertEquals(packed && !config.tiedEmbeddings(), block.packed(), "head");
            TensorParallel parallel = new TensorParallel(n);
            Llama m = new Llama(w, 64, parallel, root);
            return new Loaded(c, config, w, parallel, m, new KvCache(config.cacheShape(), devices, n, slots, 64, DataType.FLOAT32, root));
        }

        float[] run(TokenBatch batch) {
            try (NDManager step = root.newSubManager()) {
                NDArray logits = model.forward(batch, cache, step);
                return logits.toFloatArray();
            }
        }

        @Override
        public void close() {
            cache.close();
            model.close();
            parallel.close();
            weights.close();
        }
    }

    static int[] tokens(int n, int seed) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 9 + Math.floorMod(seed * 31 + i * 17 + i * i * 7, 250);
        return t;
    }

    static void assertClose(double[] expected, float[] actual, int offset, String what) {
        double scale = 0;
        for (double e : expected) scale = Math.max(scale, Math.abs(e));
        double worst = 0;
        for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - actual[offset + i]));
        assertTrue(worst <= 1e-4 * Math.max(1, scale) + 1e-4, what + ": max |diff| " + worst + " (logit scale " + scale + ")");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void allPositionsMatchTheReference(String name, TinyCheckpoint c, int shards, boolean packed) {
        try (Loaded m = Loaded.of(c, 1, name, shards, packed)) {
            assertEquals(shards == 2 && c.kvHeads() % 2 == 0 ? 2 : 1, m.weights.shards(), "shards");
            int[] t = tokens(9, 1);
            double[][] ref = new ReferenceLlama(c).logits(t);
            float[] got = m.run(new TokenBatch(new int[][] {t}, 0, new int[] {0}, true));
            int v = c.vocab();
            assertEquals(t.length * v, got.length);
            for (int i = 0; i < t.length; i++) assertClose(ref[i], got, i * v, name + " position " + i);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void decodingWithTheCacheEqualsFullRecomputation(String name, TinyCheckpoint c, int shards, boolean packed) {
        try (Loaded m = Loaded.of(c, 1, name, shards, packed)) {
            int[] t = tokens(12, 2);
            double[][] ref = new ReferenceLlama(c).logits(t);
            int prefill = 4;
            float[] got = m.run(new TokenBatch(new int[][] {java.util.Arrays.copyOf(t, prefill)}, 0, new int[] {0}, false));
            assertClose(ref[prefill - 1], got, 0, "prefill");
            for (int i = prefill; i < t.length; i++) {
                got = m.run(new TokenBatch(new int[][] {{t[i]}}, 0, new int[] {i}, false));
                assertClose(ref[i], got, 0, "decode at " + i);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void paddedBatchesEqualEachRowAlone(String name, TinyCheckpoint c, int shards, boolean packed) {
        try (Loaded m = Loaded.of(c, 4, name, shards, packed)) {
            int[][] rows = {tokens(7, 3), tokens(2, 4), tokens(5, 5)};
            ReferenceLlama reference = new ReferenceLlama(c);
            int v = c.vocab();
            // Prefill all three, right-padded to 7, into slots 1..3.
            float[] got = m.run(new TokenBatch(rows, 1, new int[3], false));
            for (int r = 0; r < rows.length; r++) {
                double[][] ref = reference.logits(rows[r]);
                assertClose(ref[rows[r].length - 1], got, r * v, "prefill row " + r);
            }
            // Then one decode step where each row is at a different position (the masked path).
            int[] next = {11, 12, 13};
            got = m.run(new TokenBatch(new int[][] {{next[0]}, {next[1]}, {next[2]}}, 1,
                    new int[] {rows[0].length, rows[1].length, rows[2].length}, false));
            for (int r = 0; r < rows.length; r++) {
                int[] extended = java.util.Arrays.copyOf(rows[r], rows[r].length + 1);
                extended[rows[r].length] = next[r];
                double[][] ref = reference.logits(extended);
                assertClose(ref[rows[r].length], got, r * v, "decode row " + r);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void prefillInQueryBlocksMatchesTheReference(String name, TinyCheckpoint c, int shards, boolean packed) {
        int saved = Llama.queryBlock;
        Llama.queryBlock = 3; // 7- and 9-token prefills run in blocks of 3 queries, the last one short
        try (Loaded m = Loaded.of(c, 4, name + " blocks", shards, packed)) {
            ReferenceLlama reference = new ReferenceLlama(c);
            int v = c.vocab();
            int[] t = tokens(9, 4);
            float[] all = m.run(new TokenBatch(new int[][] {t}, 0, new int[] {0}, true));
            double[][] ref = reference.logits(t);
            for (int i = 0; i < t.length; i++) assertClose(ref[i], all, i * v, name + " position " + i);
            // Padded rows, one of them continuing after 2 cached tokens (a later start).
            int[][] rows = {tokens(7, 5), tokens(2, 6)};
            m.run(new TokenBatch(new int[][] {tokens(2, 7)}, 3, new int[] {0}, false));
            int[] third = tokens(5, 8);
            float[] got = m.run(new TokenBatch(new int[][] {rows[0], rows[1], third}, 1, new int[] {0, 0, 2}, false));
            for (int r = 0; r < 2; r++) assertClose(reference.logits(rows[r])[rows[r].length - 1], got, r * v, "row " + r);
            int[] full = new int[7];
            System.arraycopy(tokens(2, 7), 0, full, 0, 2);
            System.arraycopy(third, 0, full, 2, 5);
            assertClose(reference.logits(full)[6], got, 2 * v, "row continuing at 2");
        } finally {
            Llama.queryBlock = saved;
        }
    }

    /**
     * Prefix reuse as the scheduler does it: a shared prefix prefilled alone into a spare slot, its keys
     * and values copied into a sequence's slot, and only the rest of the prompt run there, in one pass
     * with a prompt prefilled whole. Both rows give the whole prompt's logits.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void aPrefixCopiedFromASpareSlotGivesTheWholePromptsLogits(String name, TinyCheckpoint c, int shards, boolean packed) {
        try (Loaded m = Loaded.of(c, 4, name + " prefix", shards, packed)) {
            ReferenceLlama reference = new ReferenceLlama(c);
            int v = c.vocab();
            int[] t = tokens(20, 9);
            int p = 13;
            float[] whole = m.run(new TokenBatch(new int[][] {t}, 0, new int[] {0}, false));
            m.run(new TokenBatch(new int[][] {java.util.Arrays.copyOf(t, p)}, 3, new int[] {0}, false));
            m.cache.move(3, 1, p);
            int[] other = tokens(6, 10);
            float[] got = m.run(new TokenBatch(new int[][] {java.util.Arrays.copyOfRange(t, p, t.length), other}, 1,
                    new int[] {p, 0}, false));
            assertClose(reference.logits(t)[t.length - 1], got, 0, name + " remainder after a copied prefix");
            assertClose(reference.logits(other)[other.length - 1], got, v, name + " a whole prompt beside it");
            double worst = 0;
            for (int i = 0; i < v; i++) worst = Math.max(worst, Math.abs(whole[i] - got[i]));
            assertTrue(worst < 1e-4, name + ": max |logit difference| from the whole prefill " + worst);
        }
    }

    @Test
    void uninitialisedCacheMemoryNeverReachesTheLogits() {
        // The cache is allocated uninitialised; poison it with NaN, as garbage may be, and check that
        // rows shorter than the batch's longest (which read keys beyond their own end) stay exact.
        TinyCheckpoint c = TinyCheckpoint.builder().seed(7).gqa(4, 2).build();
        try (Loaded m = Loaded.of(c, 3, "poisoned", 2, true)) {
            for (int l = 0; l < m.config.layers(); l++) {
                for (int s = 0; s < m.weights.shards(); s++) {
                    m.cache.keys(l, s).set(new ai.djl.ndarray.index.NDIndex(":"), Float.NaN);
                    m.cache.values(l, s).set(new ai.djl.ndarray.index.NDIndex(":"), Float.NaN);
                }
            }
            int[][] rows = {tokens(6, 1), tokens(2, 2)};
            ReferenceLlama reference = new ReferenceLlama(c);
            int v = c.vocab();
            float[] got = m.run(new TokenBatch(rows, 1, new int[2], false));
            for (int r = 0; r < rows.length; r++) {
                assertClose(reference.logits(rows[r])[rows[r].length - 1], got, r * v, "prefill row " + r);
            }
            // Decode well past the zeroed block of the short row: it reads the long row's frontier.
            int[] a = rows[0];
            int[] b = rows[1];
            for (int i = 0; i < 70; i++) {
                int[] na = java.util.Arrays.copyOf(a, a.length + 1);
                na[a.length] = 20 + i % 9;
                int[] nb = java.util.Arrays.copyOf(b, b.length + 1);
                nb[b.length] = 30 + i % 5;
                // The long row advances two tokens per step, so the frontier outruns the short row.
                got = m.run(new TokenBatch(new int[][] {{na[a.length]}, {nb[b.length]}}, 1, new int[] {a.length, b.length}, false));
                a = na;
                b = nb;
                if (a.length + 1 < 64) {
                    int[] na2 = java.util.Arrays.copyOf(a, a.length + 1);
                    na2[a.length] = 40 + i % 3;
                    m.run(new TokenBatch(new int[][] {{na2[a.length]}}, 1, new int[] {a.length}, false));
                    a = na2;
                }
                if (i % 10 == 9 || a.length + 1 >= 64) {
                    assertClose(reference.logits(b)[b.length - 1], got, v, "short row at " + b.length);
                }
                if (a.length + 1 >= 64) break;
            }
            // A row that starts past what its slot holds reads the gap: zeroed, never NaN.
            float[] gap = m.run(new TokenBatch(new int[][] {tokens(3, 4)}, 0, new int[] {5}, false));
            for (float x : gap) assertTrue(Float.isFinite(x), "a logit of a row starting past its slot's frontier: " + x);
        }
    }

    @Test
    void loadingReadsEachTensorOnceAndTiesTheHead() {
        for (boolean tied : new boolean[] {true, false}) {
            TinyCheckpoint c = TinyCheckpoint.builder().seed(5).tied(tied).build();
            Path dir = c.write(tmp.resolve("tie" + tied));
            LlamaConfig config = LlamaConfig.read(dir);
            MemoryWeights source = new MemoryWeights(c);
            try (LlamaWeights w = LlamaWeights.load(config, source, DataType.FLOAT32, LayerPlacement.single(config.layers(), Device.cpu()), root)) {
                assertEquals(source.names(), source.reads.keySet());
                assertTrue(source.reads.values().stream().allMatch(n -> n == 1), source.reads.toString());
                assertEquals(tied, w.head() == w.embedding().table());
                // Every parameter is held once, but for the norms folded into the matrices after them
                // (the final one only when the head is a matrix of its own).
                long folded = (2L * config.layers() + (tied ? 0 : 1)) * config.hiddenSize();
                assertEquals((config.parameterCount() - folded) * 4, w.bytes());
                assertEquals(tied, w.finalNorm() != null);
            }
        }
    }

    @Test
    void anUntiedEmbeddingIsReadFromTheCheckpointInsteadOfHeld() {
        // (stored dtype, compute dtype): rows are converted on the way like every other tensor
        for (String[] pair : new String[][] {{"F32", "FLOAT32"}, {"BF16", "FLOAT32"}, {"BF16", "FLOAT16"}}) {
            String dtype = pair[0] + " as " + pair[1];
            DataType compute = DataType.valueOf(pair[1]);
            TinyCheckpoint c = TinyCheckpoint.builder().seed(9).dtype(pair[0]).sharded(2).build();
            Path dir = c.write(tmp.resolve("rows" + pair[0] + pair[1]));
            LlamaConfig config = LlamaConfig.read(dir);
            LayerPlacement devices = LayerPlacement.single(config.layers(), Device.cpu());
            LlamaWeights fromFile;
            try (SafetensorsWeights source = SafetensorsWeights.open(dir)) {
                fromFile = LlamaWeights.load(config, source, compute, devices, 2, root);
            } // closed: the embedding reads through a handle of its own
            try (LlamaWeights held = LlamaWeights.load(config, new MemoryWeights(c), compute, devices, 2, root);
                 LlamaWeights read = fromFile;
                 TensorParallel p1 = new TensorParallel(2);
                 TensorParallel p2 = new TensorParallel(2);
                 Llama heldModel = new Llama(held, 64, p1, root);
                 Llama readModel = new Llama(read, 64, p2, root);
                 KvCache heldCache = new KvCache(config.cacheShape(), devices, 2, 2, 64, compute, root);
                 KvCache readCache = new KvCache(config.cacheShape(), devices, 2, 2, 64, compute, root)) {
                assertTrue(held.embedding().table() != null && read.embedding().table() == null, dtype);
                assertEquals(held.bytes() - (long) compute.getNumOfBytes() * config.vocabSize() * config.hiddenSize(), read.bytes(), dtype);
                int[] last = {config.vocabSize() - 1, 0, 7};
                TokenBatch batch = new TokenBatch(new int[][] {tokens(6, 3), last}, 0, new int[2], true);
                try (NDManager step = root.newSubManager()) {
                    float[] expected = heldModel.forward(batch, heldCache, step).toType(DataType.FLOAT32, false).toFloatArray();
                    float[] actual = readModel.forward(batch, readCache, step).toType(DataType.FLOAT32, false).toFloatArray();
                    org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, dtype);
                    TokenBatch outside = new TokenBatch(new int[][] {{3, config.vocabSize()}}, 0, new int[1], false);
                    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                            () -> readModel.forward(outside, readCache, step));
                    assertTrue(e.getMessage().contains("token id " + config.vocabSize() + " outside the vocabulary"), e.getMessage());
                }
            }
        }
    }

    @Test
    void tensorsBeyondOneBufferLoadInRowBlocks() {
        TinyCheckpoint c = TinyCheckpoint.builder().seed(6).build();
        long saved = LlamaWeights.blockBytes;
        LlamaWeights.blockBytes = 10_000; // every single tensor above 10 kB (embedding, head, o/down projections) now loads in 19-row blocks
        try (Loaded m = Loaded.of(c, 1, "blocks")) {
            int[] t = tokens(5, 7);
            double[][] ref = new ReferenceLlama(c).logits(t);
            float[] got = m.run(new TokenBatch(new int[][] {t}, 0, new int[] {0}, true));
            for (int i = 0; i < t.length; i++) assertClose(ref[i], got, i * c.vocab(), "position " + i);
        } finally {
            LlamaWeights.blockBytes = saved;
        }
    }

    @Test
    void onlyFloat32MatricesArePacked() {
        TinyCheckpoint c = TinyCheckpoint.builder().seed(9).build();
        LlamaConfig config = LlamaConfig.read(c.write(tmp.resolve("f16")));
        LayerPlacement devices = LayerPlacement.single(config.layers(), Device.cpu());
        try (LlamaWeights w = LlamaWeights.load(config, new MemoryWeights(c), DataType.FLOAT16, devices, 1, true, root)) {
            assertTrue(!w.packed() && !w.layers().get(0).shards().get(0).gateUp().packed(), "oneDNN packs FLOAT32 only");
            assertEquals(DataType.FLOAT16, w.layers().get(0).shards().get(0).gateUp().weight().getDataType());
        }
    }

    @Test
    void stepsLeaveNoArraysBehind() {
        TinyCheckpoint c = TinyCheckpoint.builder().seed(4).gqa(4, 2).build();
        try (Loaded m = Loaded.of(c, 2, "leak", 2, true)) {
            m.run(new TokenBatch(new int[][] {tokens(5, 1), tokens(3, 2)}, 0, new int[2], false));
            int cacheArrays = m.cache.managedArrays();
            int rootArrays = root.getManagedArrays().size();
            for (int i = 0; i < 50; i++) {
                m.run(new TokenBatch(new int[][] {{20 + i % 7}, {30 + i % 5}}, 0, new int[] {5 + i, 3 + i}, false));
            }
            assertEquals(cacheArrays, m.cache.managedArrays(), "cache arrays");
            assertEquals(rootArrays, root.getManagedArrays().size(), "arrays on the root manager");
        }
    }
}
