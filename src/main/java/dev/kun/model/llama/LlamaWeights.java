package dev.kun.model.llama;

import dev.kun.model.cpu.DirectMemory;
import dev.kun.model.checkpoint.TensorInfo;
import dev.kun.model.checkpoint.WeightSource;
import dev.kun.model.cpu.HugePages;
import dev.kun.model.cpu.LayerPlacement;
import dev.kun.model.cpu.Linear;
import dev.kun.model.cpu.OneDnn;
import dev.kun.model.cpu.TensorParallel;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The weights of a Llama-family model as NDArrays, read once and never written. Matrices keep the
 * Hugging Face (out, in) layout and are used through {@code linear}; the projections that read the
 * same input are fused into one matrix (q|k|v, gate|up), so a layer reads its input in three matrix
 * products instead of seven. Layers live where the {@link LayerPlacement} puts them (pipeline by
 * layers); the embedding sits with the first layer and the final norm and head with the last. With
 * more than one tensor-parallel shard (see {@link TensorParallel}), each layer's matrices are split
 * Megatron's way: q/k/v and gate/up by rows (a shard's heads, a shard's intermediate columns), the
 * output and down projections by columns, the head by rows (views, no copy).
 *
 * <p>Each RMSNorm's learned weight is folded into the columns of the matrix that reads its output
 * (q/k/v, gate/up, and the head unless the head is the embedding itself): norm(x) W^T = (x / rms)
 * (W diag(g))^T, one op fewer per norm in every pass.
 */
public final class LlamaWeights implements AutoCloseable {

    /** One decoder layer: its matrices split into tensor-parallel shards (its norms folded into them). */
    public record Layer(Device device, List<Shard> shards) {}

    /**
     * Shard s of S of a layer: query heads [s heads/S, (s+1) heads/S) with their kv heads, and
     * intermediate columns [s I/S, (s+1) I/S). With one shard these are the whole fused matrices.
     */
    public record Shard(
            Linear qkv, // (qDim/S + 2 kvDim/S, hidden) with its bias, if any: q rows (times 1/sqrt(headDim)), then k, then v; columns times the input norm
            Linear output, // (hidden, qDim/S): the o_proj columns of this shard's heads
            Linear gateUp, // (2 I/S, hidden): gate rows, then up rows; columns times the post-attention norm
            Linear down) {} // (hidden, I/S)

    private final LlamaConfig config;
    private final LayerPlacement placement;
    private final DataType dtype;
    private final NDManager manager;
    private final TokenEmbedding embedding;
    private final List<Layer> layers;
    private final NDArray finalNorm; // (hidden), or null when folded into the head
    private final NDArray head; // (vocab, hidden); the embedding's table itself when tied on one device; null when packed
    private final List<Linear> headShards; // row blocks of head (views), or their packed copies
    private final OneDnn ops; // null when no weight is packed

    private LlamaWeights(LlamaConfig config, LayerPlacement placement, DataType dtype, NDManager manager, TokenEmbedding embedding,
                         List<Layer> layers, NDArray finalNorm, NDArray head, List<Linear> headShards, OneDnn ops) {
        this.config = config;
        this.placement = placement;
        this.dtype = dtype;
        this.manager = manager;
        this.embedding = embedding;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.head = head;
        this.headShards = headShards;
        this.ops = ops;
    }

    /** The largest shard count up to {@code wanted} that divides both the kv heads and the MLP width. */
    public static int shardsFor(LlamaConfig config, int wanted) {
        for (int s = Math.max(1, wanted); s > 1; s--) {
            if (config.kvHeads() % s == 0 && config.intermediateSize() % s == 0) return s;
        }
        return 1;
    }

    /** {@link #load(LlamaConfig, WeightSource, DataType, LayerPlacement, int, NDManager)} unsharded. */
    public static LlamaWeights load(LlamaConfig config, WeightSource source, DataType dtype,
                                    LayerPlacement placement, NDManager parent) {
        return load(config, source, dtype, placement, 1, parent);
    }

    /**
     * Reads every tensor of {@code source} as {@code dtype} (FLOAT32 or FLOAT16) onto the layers'
     * devices, split into {@code shards} tensor-parallel shards (a divisor of the kv heads and the MLP
     * width, see {@link #shardsFor}; shards are for the CPU). On the CPU every tensor, and every shard
     * of one, is read from the file straight into its own memory; on a GPU each tensor goes through one
     * host buffer, released once it is on its device, so at most one tensor (one fused matrix) exists
     * twice at any time. The output head is the embedding when the config ties them or
     * the checkpoint has no {@code lm_head.weight}; otherwise the embedding is not held but read row by
     * row from the checkpoint when the source can (see {@link TokenEmbedding}). FLOAT32 matrices on
     * the CPU are reordered into oneDNN's layout (see {@link OneDnn}) where this libtorch has it,
     * unless the system property {@code kun.prepack} is {@code false}.
     */
    public static LlamaWeights load(LlamaConfig config, WeightSource source, DataType dtype,
                                    LayerPlacement placement, int shards, NDManager parent) {
        return load(config, source, dtype, placement, shards, !"false".equals(System.getProperty("kun.prepack")), parent);
    }

    /**
     * As {@link #load(LlamaConfig, WeightSource, DataType, LayerPlacement, int, NDManager)}, with the
     * choice of oneDNN-packed CPU matrices made by {@code prepack} (still only FLOAT32, and only where
     * libtorch has the ops).
     */
    public static LlamaWeights load(LlamaConfig config, WeightSource source, DataType dtype,
                                    LayerPlacement placement, int shards, boolean prepack, NDManager parent) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new IllegalArgumentException("weights load as FLOAT32 or FLOAT16, not " + dtype);
        }
        if (shards < 1 || config.kvHeads() % shards != 0 || config.intermediateSize() % shards != 0) {
            throw new IllegalArgumentException(shards + " shards do not divide " + config.kvHeads() + " kv heads and "
                    + config.intermediateSize() + " intermediate columns");
        }
        NDManager manager = parent.newSubManager();
        TokenEmbedding embedding = null;
        OneDnn ops = null;
        try {
            boolean cpuMatrices = IntStream.range(0, config.layers()).anyMatch(i -> placement.deviceOf(i).equals(Device.cpu()));
            ops = prepack && dtype == DataType.FLOAT32 && cpuMatrices ? OneDnn.load(manager) : null;
            Loader loader = new Loader(config, source, dtype, manager);
            int h = config.hiddenSize();
            long q = config.qDim();
            long kv = config.kvDim();
            long inter = config.intermediateSize();
            Device first = placement.embeddingDevice();
            Device last = placement.headDevice();
            boolean tied = config.tiedEmbeddings() || !source.names().contains("lm_head.weight");
            String embedName = "model.embed_tokens.weight";
            WeightSource.RowReader rows = null;
            if (!tied) {
                loader.check(new Shape(config.vocabSize(), h), embedName);
                rows = source.rowReader(embedName);
            }
            // Every matrix held dense on the CPU is carved out of one allocation on huge pages (see Loader).
            long layerMatrices = (q + 2 * kv) * h + h * q + 2 * inter * h + h * inter;
            long matrices = (rows == null && first.equals(Device.cpu()) ? (long) config.vocabSize() * h : 0)
                    + (!tied && last.equals(Device.cpu()) ? (long) config.vocabSize() * h : 0);
            for (int i = 0; i < config.layers(); i++) {
                if (placement.deviceOf(i).equals(Device.cpu())) matrices += layerMatrices;
            }
            if (ops == null) loader.reserve(matrices);
            embedding = rows != null
                    ? TokenEmbedding.fromCheckpoint(rows, config.vocabSize(), h, dtype, first)
                    : TokenEmbedding.held(loader.matrix(first, config.vocabSize(), h, embedName));
            // Packed matrices get oneDNN's memory. Their dense forms only pass through: they are read
            // into one layer's staging space, reused layer after layer, so its pages are faulted in once
            // and no matrix-sized buffer is allocated and freed per matrix.
            if (ops != null) loader.reserve(layerMatrices);
            List<Layer> layers = new ArrayList<>();
            for (int i = 0; i < config.layers(); i++) {
                String p = "model.layers." + i + ".";
                Device d = placement.deviceOf(i);
                String a = p + "self_attn.";
                long[] qkvSections = {q, kv, kv};
                List<NDArray> qkvShards = loader.rowShards(d, h, qkvSections, shards,
                        a + "q_proj.weight", a + "k_proj.weight", a + "v_proj.weight");
                List<NDArray> biasShards = config.attentionBias()
                        ? loader.rowShards(d, 0, qkvSections, shards, a + "q_proj.bias", a + "k_proj.bias", a + "v_proj.bias")
                        : null;
                // Attention scores are q.k / sqrt(headDim); rotary is linear, so the factor can sit in
                // q's rows (and bias) once here instead of scaling every (T x keys) score matrix.
                double scale = 1 / Math.sqrt(config.headDim());
                for (int s = 0; s < shards; s++) {
                    scaleLeadingRows(qkvShards.get(s), q / shards, scale, manager);
                    if (biasShards != null) scaleLeadingRows(biasShards.get(s), q / shards, scale, manager);
                }
                NDArray attentionNorm = loader.vector(d, h, p + "input_layernorm.weight");
                for (NDArray qkvShard : qkvShards) qkvShard.muli(attentionNorm);
                attentionNorm.close();
                List<NDArray> outputShards = loader.columnShards(d, h, q, shards, a + "o_proj.weight");
                List<NDArray> gateUpShards = loader.rowShards(d, h, new long[] {inter, inter}, shards,
                        p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight");
                NDArray mlpNorm = loader.vector(d, h, p + "post_attention_layernorm.weight");
                for (NDArray gateUpShard : gateUpShards) gateUpShard.muli(mlpNorm);
                mlpNorm.close();
                List<NDArray> downShards = loader.columnShards(d, h, inter, shards, p + "mlp.down_proj.weight");
                OneDnn layerOps = d.equals(Device.cpu()) ? ops : null;
                List<Shard> layerShards = new ArrayList<>();
                for (int s = 0; s < shards; s++) {
                    layerShards.add(new Shard(linear(layerOps, qkvShards.get(s), biasShards == null ? null : biasShards.get(s), manager),
                            linear(layerOps, outputShards.get(s), null, manager), linear(layerOps, gateUpShards.get(s), null, manager),
                            linear(layerOps, downShards.get(s), null, manager)));
                }
                layers.add(new Layer(d, List.copyOf(layerShards)));
                if (layerOps != null) loader.rewind(); // this layer is packed: its staging space is free again
            }
            if (ops != null) loader.release();
            NDArray finalNorm = loader.vector(last, h, "model.norm.weight");
            NDArray head;
            if (!tied) {
                head = loader.matrix(last, config.vocabSize(), h, "lm_head.weight");
            } else if (last.equals(first)) {
                head = embedding.table();
            } else {
                head = embedding.table().toDevice(last, true);
                head.attach(manager);
            }
            if (head != embedding.table()) {
                // The head is a matrix of its own: the final norm's weight goes into its columns.
                head.muli(finalNorm);
                finalNorm.close();
                finalNorm = null;
            }
            List<Linear> headShards = new ArrayList<>();
            long vocab = config.vocabSize();
            // A tied head is the embedding's table, which lookups read densely: packing it would hold it twice.
            OneDnn headOps = last.equals(Device.cpu()) && head != embedding.table() ? ops : null;
            for (int s = 0; s < shards; s++) {
                // Row blocks of a contiguous matrix are contiguous views: the head is not copied.
                NDArray block = shards == 1 ? head : head.get(manager, new NDIndex("{}:{}", vocab * s / shards, vocab * (s + 1) / shards));
                headShards.add(linear(headOps, block, null, manager));
            }
            if (headOps != null) {
                head.close(); // every block is packed now
                head = null;
            }
            manager.cap(); // from here on, an op result attached to the weights would be a leak: fail instead
            return new LlamaWeights(config, placement, dtype, manager, embedding, List.copyOf(layers), finalNorm, head,
                    List.copyOf(headShards), ops);
        } catch (RuntimeException e) {
            if (embedding != null) embedding.close();
            if (ops != null) ops.close();
            manager.close();
            throw e;
        }
    }

    /**
     * Rows per product that packed weights are laid out for: a batch of 32 decoding sequences, where
     * packing pays (a single row and a long prefill run as fast in that layout as in the dense one).
     */
    private static final int PACKED_ROWS = 32;

    private static Linear linear(OneDnn ops, NDArray weight, NDArray bias, NDManager owner) {
        return ops == null ? Linear.dense(weight, bias) : Linear.packed(ops, weight, bias, PACKED_ROWS, owner);
    }

    /** Multiplies entries [0, rows) along the first axis of {@code array} by {@code factor}, in place. */
    private static void scaleLeadingRows(NDArray array, long rows, double factor, NDManager manager) {
        try (NDManager scope = manager.newSubManager(array.getDevice())) {
            NDIndex leading = new NDIndex(":{}", rows);
            array.set(leading, array.get(scope, leading).mul((float) factor));
        }
    }

    /** Size above which a single tensor is read in row blocks (a ByteBuffer holds at most 2 GB); lowered by tests. */
    static long blockBytes = Integer.MAX_VALUE;

    /** Reads tensors, checking their shapes, and fuses several into one by stacking their rows. */
    private static final class Loader {
        private final LlamaConfig config;
        private final WeightSource source;
        private final DataType dtype;
        private final NDManager manager;
        /** Where the CPU matrices go, carved in load order; null when none are on the CPU. */
        private NDArray arena;
        private long arenaUsed; // elements

        Loader(LlamaConfig config, WeightSource source, DataType dtype, NDManager manager) {
            this.config = config;
            this.source = source;
            this.dtype = dtype;
            this.manager = manager;
        }

        /**
         * Allocates one flat CPU tensor of {@code elements} for the matrices to come, advised onto huge
         * pages before anything is written (see {@link HugePages}): a decode step streams every
         * matrix, and carved from one allocation, all but the last partial huge page of the weights
         * are huge pages (matrices of their own, a few MB each in arena heaps, got half of theirs).
         * Nothing is resident until written, so space a matrix does not take (one loaded in row
         * blocks) costs nothing.
         */
        void reserve(long elements) {
            if (elements == 0) return;
            arena = manager.create(new Shape(elements), dtype, Device.cpu());
            HugePages.advise(arena);
        }

        /** Makes the whole arena free again (its matrices are no longer used: packed elsewhere). */
        void rewind() {
            arenaUsed = 0;
        }

        /** Frees the arena (every matrix carved from it is no longer used); later matrices get their own memory. */
        void release() {
            if (arena != null) arena.close();
            arena = null;
            arenaUsed = 0;
        }

        /** A new, uninitialised tensor: a matrix on the CPU is a view into the arena. */
        private NDArray allocate(Shape shape, Device device) {
            long n = shape.size();
            if (arena == null || shape.dimension() != 2 || !device.equals(Device.cpu()) || arenaUsed + n > arena.size()) {
                return manager.create(shape, dtype, device);
            }
            NDArray flat = arena.get(new NDIndex("{}:{}", arenaUsed, arenaUsed + n));
            NDArray view = flat.reshape(shape);
            flat.close(); // the view holds the storage; a staging arena must be freed once its views are
            arenaUsed += n;
            return view;
        }

        /**
         * Tensor-parallel row shards of a matrix (or, with {@code columns} 0, a vector) made of the row
         * sections {@code names} (q|k|v, gate|up): shard s stacks block s of every section, read from
         * the file straight into its own tensor. One shard is the whole fused matrix.
         */
        List<NDArray> rowShards(Device device, long columns, long[] sections, int shards, String... names) {
            long rows = Arrays.stream(sections).sum();
            Shape whole = columns == 0 ? new Shape(rows) : new Shape(rows, columns);
            if (shards == 1) return List.of(load(device, whole, names));
            requireCpu(device);
            check(whole, names);
            for (int i = 0; i < names.length; i++) {
                long[] shape = source.info(names[i]).shape();
                if (shape[0] != sections[i]) {
                    throw new KunException(ExitCodes.BACKEND, "tensor " + names[i] + " has " + shape[0]
                            + " rows, config.json implies " + sections[i]);
                }
            }
            Shape shape = columns == 0 ? new Shape(rows / shards) : new Shape(rows / shards, columns);
            int[] blocks = new int[names.length];
            for (int i = 0; i < names.length; i++) blocks[i] = Math.toIntExact(sections[i] / shards);
            List<NDArray> out = new ArrayList<>();
            for (int s = 0; s < shards; s++) {
                long[] first = new long[names.length];
                for (int i = 0; i < names.length; i++) first[i] = (long) s * blocks[i];
                out.add(readStacked(device, shape, names, first, blocks));
            }
            return out;
        }

        /**
         * Tensor-parallel column shards of the (rows, columns) matrix {@code name}: the file is read a
         * few rows at a time through a small staging buffer whose column blocks go to their shards'
         * tensors, so the whole matrix never exists. One shard is the whole matrix.
         */
        List<NDArray> columnShards(Device device, long rows, long columns, int shards, String name) {
            Shape whole = new Shape(rows, columns);
            if (shards == 1) return List.of(load(device, whole, name));
            requireCpu(device);
            check(whole, name);
            int width = dtype.getNumOfBytes();
            long rowBytes = columns * width;
            int blockBytes = Math.toIntExact(columns / shards * width);
            List<NDArray> out = new ArrayList<>();
            ByteBuffer[] dest = new ByteBuffer[shards];
            for (int s = 0; s < shards; s++) {
                out.add(allocate(new Shape(rows, columns / shards), device));
                dest[s] = DirectMemory.hostView(out.get(s));
            }
            int chunk = (int) Math.max(1, Math.min(rows, (4L << 20) / rowBytes));
            ByteBuffer staging = ByteBuffer.allocateDirect(Math.toIntExact(chunk * rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
            try {
                for (long first = 0; first < rows; first += chunk) {
                    int n = (int) Math.min(chunk, rows - first);
                    staging.clear();
                    source.readRows(name, dtype, first, n, staging);
                    for (int r = 0; r < n; r++) {
                        for (int s = 0; s < shards; s++) {
                            int from = Math.toIntExact(r * rowBytes + (long) s * blockBytes);
                            dest[s].put(staging.slice(from, blockBytes));
                        }
                    }
                }
            } finally {
                DirectMemory.free(staging);
            }
            return out;
        }

        /** Tensor-parallel shards are the CPU's way to use its cores; a GPU runs each layer whole. */
        private static void requireCpu(Device device) {
            if (!device.equals(Device.cpu())) {
                throw new IllegalArgumentException("tensor-parallel shards run on the CPU, not on " + device);
            }
        }

        NDArray vector(Device device, long length, String... names) {
            return load(device, new Shape(length), names);
        }

        NDArray matrix(Device device, long rows, long columns, String... names) {
            return load(device, new Shape(rows, columns), names);
        }

        /** Checks that {@code names} exist and stack (by rows) into {@code shape}; returns their element count. */
        private long check(Shape shape, String... names) {
            long elements = 0;
            for (String name : names) {
                if (!source.names().contains(name)) {
                    throw new KunException(ExitCodes.BACKEND, "checkpoint has no tensor " + name
                            + " (expected for model_type " + config.modelType() + ")");
                }
                TensorInfo info = source.info(name);
                long[] s = info.shape();
                boolean matches = shape.dimension() == 1
                        ? s.length == 1
                        : s.length == 2 && s[1] == shape.get(1);
                if (!matches) {
                    throw new KunException(ExitCodes.BACKEND, "tensor " + name + " has shape " + Arrays.toString(s)
                            + ", config.json implies " + (shape.dimension() == 1 ? "a vector" : "(*, " + shape.get(1) + ")"));
                }
                elements += info.elementCount();
            }
            if (elements != shape.size()) {
                throw new KunException(ExitCodes.BACKEND, "tensor" + (names.length > 1 ? "s " : " ") + String.join(", ", names)
                        + " hold " + elements + " values, config.json implies " + shape);
            }
            return elements;
        }

        private NDArray load(Device device, Shape shape, String... names) {
            long elements = check(shape, names);
            long bytes = elements * dtype.getNumOfBytes();
            if (bytes > blockBytes && names.length == 1) {
                return loadInBlocks(device, shape, names[0]);
            }
            if (device.equals(Device.cpu()) && bytes <= Integer.MAX_VALUE - 8) {
                return readInPlace(device, shape, names);
            }
            ByteBuffer host = names.length == 1 ? source.read(names[0], dtype) : fuse(names, elements);
            try (NDManager cpu = manager.newSubManager(Device.cpu())) {
                // DJL wraps a direct buffer on the CPU without copying; take a copy PyTorch owns, so that
                // host can be freed now: weights left in direct buffers would count against the JVM's
                // direct-memory limit (-Xmx by default) and outlive their arrays until a GC.
                NDArray wrapped = cpu.create(host, shape, dtype);
                // (toDevice to the same device may alias; duplicate is a real clone)
                NDArray array = device.equals(wrapped.getDevice()) ? wrapped.duplicate() : wrapped.toDevice(device, true);
                array.attach(manager);
                wrapped.close();
                DirectMemory.free(host);
                return array;
            }
        }

        /**
         * On the CPU, the tensor is allocated first and the file read straight into its memory (DJL
         * hands out a direct buffer over a contiguous CPU tensor's storage): no host buffer, no copy,
         * and no freed load buffers left between the weights in the C heap (they held ~100 MB of
         * resident memory after loading). Parts of a fused matrix are read one after the other.
         */
        private NDArray readInPlace(Device device, Shape shape, String... names) {
            long[] first = new long[names.length];
            int[] rows = new int[names.length];
            for (int i = 0; i < names.length; i++) {
                long[] s = source.info(names[i]).shape();
                rows[i] = s.length == 0 ? 1 : Math.toIntExact(s[0]);
            }
            return readStacked(device, shape, names, first, rows);
        }

        /**
         * A new CPU tensor of {@code shape} holding rows [first[i], first[i] + rows[i]) of each tensor
         * names[i], stacked in order and read from the file straight into the tensor's memory.
         */
        private NDArray readStacked(Device device, Shape shape, String[] names, long[] first, int[] rows) {
            NDArray array = allocate(shape, device);
            try {
                ByteBuffer dest = DirectMemory.hostView(array);
                for (int i = 0; i < names.length; i++) source.readRows(names[i], dtype, first[i], rows[i], dest);
                if (dest.hasRemaining()) throw new IllegalStateException("tensor " + String.join(", ", names) + " read short");
                return array;
            } catch (RuntimeException e) {
                array.close();
                throw e;
            }
        }

        /**
         * A matrix beyond a ByteBuffer's 2 GB (a large vocabulary's embedding): read in row blocks,
         * each on the device before the next is read, then concatenated there.
         */
        private NDArray loadInBlocks(Device device, Shape shape, String name) {
            long rows = shape.get(0);
            long rowBytes = shape.get(1) * dtype.getNumOfBytes();
            int blockRows = (int) Math.max(1, (blockBytes / 2) / rowBytes);
            ai.djl.ndarray.NDList blocks = new ai.djl.ndarray.NDList();
            try (NDManager scope = manager.newSubManager()) {
                for (long first = 0; first < rows; first += blockRows) {
                    int n = (int) Math.min(blockRows, rows - first);
                    ByteBuffer host = ByteBuffer.allocateDirect(Math.toIntExact(n * rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
                    source.readRows(name, dtype, first, n, host);
                    NDArray wrapped = scope.create(host.rewind(), new Shape(n, shape.get(1)), dtype);
                    NDArray block = device.equals(wrapped.getDevice()) ? wrapped.duplicate() : wrapped.toDevice(device, true);
                    block.attach(scope);
                    blocks.add(block);
                    DirectMemory.free(host);
                }
                NDArray whole = ai.djl.ndarray.NDArrays.concat(blocks, 0);
                whole.attach(manager);
                return whole;
            }
        }

        /** Stacks the rows of several tensors into one buffer, freeing each part once copied. */
        private ByteBuffer fuse(String[] names, long elements) {
            long bytes = elements * dtype.getNumOfBytes();
            if (bytes > Integer.MAX_VALUE) {
                throw new KunException(ExitCodes.BACKEND, "fused tensor of " + String.join(", ", names) + " exceeds 2 GB");
            }
            ByteBuffer fused = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (String name : names) {
                ByteBuffer part = source.read(name, dtype);
                fused.put(part.duplicate().rewind());
                DirectMemory.free(part);
            }
            return fused.rewind();
        }
    }

    public LlamaConfig config() {
        return config;
    }

    public DataType dtype() {
        return dtype;
    }

    /** The token embedding: a held table, or rows read from the checkpoint. */
    public TokenEmbedding embedding() {
        return embedding;
    }

    public List<Layer> layers() {
        return layers;
    }

    /** The final norm's weight when the head is the embedding itself; null when folded into the head. */
    public NDArray finalNorm() {
        return finalNorm;
    }

    /** The dense head (vocab, hidden); null when its blocks are packed (see {@link #headShards()}). */
    public NDArray head() {
        return head;
    }

    /** Row blocks of the head, one per tensor-parallel shard (views of {@link #head()}, or packed copies). */
    public List<Linear> headShards() {
        return headShards;
    }

    /** Whether the CPU matrices are held in oneDNN's packed layout (see {@link OneDnn}). */
    public boolean packed() {
        return ops != null;
    }

    /** Tensor-parallel shards per layer. */
    public int shards() {
        return headShards.size();
    }

    /** Where each layer lives. */
    public LayerPlacement placement() {
        return placement;
    }

    /**
     * Total bytes of the weight tensors held (the head counted once when tied; folded norms and an
     * embedding read from the checkpoint are not held).
     */
    public long bytes() {
        long n = embedding.bytes();
        if (finalNorm != null) n += finalNorm.size() * finalNorm.getDataType().getNumOfBytes();
        // The head shards are views of the head when it is dense; the tied head is the embedding's table.
        boolean headIsTable = head != null && head == embedding.table();
        if (!headIsTable) {
            for (Linear block : headShards) n += block.bytes();
        }
        for (Layer l : layers) {
            for (Shard s : l.shards()) n += s.qkv().bytes() + s.output().bytes() + s.gateUp().bytes() + s.down().bytes();
        }
        return n;
    }

    @Override
    public void close() {
        embedding.close();
        if (ops != null) ops.close();
        manager.close();
    }
}
