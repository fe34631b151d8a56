package dev.kun.model.cpu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * The weight of one linear layer, W (out, in) with an optional bias, and its product x W^T + b. A
 * dense weight goes to PyTorch's {@code linear}; a packed one is held only in oneDNN's blocked layout
 * (see {@link OneDnn}), which the CPU loader chooses for FLOAT32 weights where libtorch has oneDNN.
 */
public final class Linear {
    /**
     * Products of more rows than this go to oneDNN in blocks of {@link #BLOCK_ROWS} rows, the last one
     * zero-padded to a multiple of {@link #PAD_ROWS}. oneDNN builds (JIT-compiles) a kernel for every
     * row count it sees and its primitive cache keeps up to 1024 of them, each holding buffers that
     * grow with the row count (~1 MB at 500-2000 rows, measured): prefills of every possible width
     * would fill it with hundreds of MB over a long run. With blocks, the row counts a run can show
     * are 1..64, multiples of 64 up to 512, and 512 (one 512-row product is as fast per row as a
     * 2048-row one: 73 vs 63 GFLOP/s per thread for 128-row blocks, so blocks are not smaller).
     */
    static final int EXACT_ROWS = 64;
    static final int PAD_ROWS = 64;
    static final int BLOCK_ROWS = 512;

    private final NDArray weight; // (out, in), or its oneDNN layout when ops != null
    private final NDArray bias; // (out) or null
    private final OneDnn ops;
    private final long out;
    private final long in;

    private Linear(NDArray weight, NDArray bias, OneDnn ops, long out, long in) {
        this.weight = weight;
        this.bias = bias;
        this.ops = ops;
        this.out = out;
        this.in = in;
    }

    /** A dense (out, in) weight, kept as it is. */
    public static Linear dense(NDArray weight, NDArray bias) {
        return new Linear(weight, bias, null, weight.getShape().get(0), weight.getShape().get(1));
    }

    /**
     * {@code weight} reordered by {@code ops} for products of about {@code rows} rows, attached to
     * {@code owner}; the dense weight is closed once reordered, so at most one matrix exists twice.
     */
    public static Linear packed(OneDnn ops, NDArray weight, NDArray bias, int rows, NDManager owner) {
        long out = weight.getShape().get(0);
        long in = weight.getShape().get(1);
        NDArray packed = ops.reorder(weight, rows, owner);
        weight.close();
        return new Linear(packed, bias, ops, out, in);
    }

    /** x (..., in) times W^T plus the bias: (..., out), attached to x's manager. */
    public NDArray apply(NDArray x) {
        if (ops == null) return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
        long rows = x.size() / in;
        if (rows <= EXACT_ROWS) return ops.linear(x, weight, bias);
        NDArray flat = x.reshape(rows, in);
        NDArray result = null;
        for (long first = 0; first < rows; first += BLOCK_ROWS) {
            long n = Math.min(BLOCK_ROWS, rows - first);
            NDArray block = rows <= BLOCK_ROWS ? flat : flat.get(new NDIndex("{}:{}", first, first + n));
            long padded = paddedRows(n);
            if (padded > n) block = block.concat(x.getManager().zeros(new Shape(padded - n, in), x.getDataType()), 0);
            NDArray y = ops.linear(block, weight, bias);
            if (padded > n) y = y.get(new NDIndex(":{}", n));
            if (rows <= BLOCK_ROWS) {
                result = y;
            } else {
                // Each block goes into the result at once, so a long pass (scoring's logits over every
                // position) holds the output and one block, not every block and their concatenation.
                if (result == null) result = x.getManager().create(new Shape(rows, out), y.getDataType());
                result.set(new NDIndex("{}:{}", first, first + n), y);
                y.close();
            }
        }
        long[] shape = x.getShape().getShape().clone();
        shape[shape.length - 1] = out;
        return result.reshape(shape);
    }

    /** The rows oneDNN is handed for a block of {@code n} rows (at most {@link #BLOCK_ROWS}). */
    static long paddedRows(long n) {
        return n <= EXACT_ROWS ? n : (n + PAD_ROWS - 1) / PAD_ROWS * PAD_ROWS;
    }

    /** Whether the weight is held in oneDNN's layout (it has no dense (out, in) tensor then). */
    public boolean packed() {
        return ops != null;
    }

    /** The dense (out, in) weight; fails for a packed one, whose layout is oneDNN's own. */
    public NDArray weight() {
        if (ops != null) throw new IllegalStateException("a packed weight has no dense tensor");
        return weight;
    }

    /** Bytes of W and the bias in the weights' dtype (a packed W holds the same values, reordered). */
    public long bytes() {
        int width = ops != null ? 4 : weight.getDataType().getNumOfBytes(); // oneDNN packs FLOAT32 only
        return (out * in + (bias == null ? 0 : out)) * width;
    }
}
