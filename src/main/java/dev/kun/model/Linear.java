package dev.kun.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * The weight of one linear layer, W (out, in) with an optional bias, and its product x W^T + b. A
 * dense weight goes to PyTorch's {@code linear}; a packed one is held only in oneDNN's blocked layout
 * (see {@link OneDnn}), which the CPU loader chooses for FLOAT32 weights where libtorch has oneDNN.
 */
public final class Linear {
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
    static Linear dense(NDArray weight, NDArray bias) {
        return new Linear(weight, bias, null, weight.getShape().get(0), weight.getShape().get(1));
    }

    /**
     * {@code weight} reordered by {@code ops} for products of about {@code rows} rows, attached to
     * {@code owner}; the dense weight is closed once reordered, so at most one matrix exists twice.
     */
    static Linear packed(OneDnn ops, NDArray weight, NDArray bias, int rows, NDManager owner) {
        long out = weight.getShape().get(0);
        long in = weight.getShape().get(1);
        NDArray packed = ops.reorder(weight, rows, owner);
        weight.close();
        return new Linear(packed, bias, ops, out, in);
    }

    /** x (..., in) times W^T plus the bias: (..., out), attached to x's manager. */
    public NDArray apply(NDArray x) {
        if (ops != null) return ops.linear(x, weight, bias);
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    public long outFeatures() {
        return out;
    }

    public long inFeatures() {
        return in;
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

    public NDArray bias() {
        return bias;
    }

    /** Bytes of W and the bias in the weights' dtype (a packed W holds the same values, reordered). */
    long bytes() {
        int width = ops != null ? 4 : weight.getDataType().getNumOfBytes(); // oneDNN packs FLOAT32 only
        return (out * in + (bias == null ? 0 : out)) * width;
    }
}
