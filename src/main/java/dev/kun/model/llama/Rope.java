package dev.kun.model.llama;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding in the Hugging Face Llama convention: dimension i of a head is paired
 * with dimension i + headDim/2 (not with i + 1 as in the original paper), because checkpoints converted
 * to Hugging Face have their q/k rows permuted for exactly this "rotate half" layout. Frequencies are
 * {@code theta^(-2i/headDim)}; linear {@code rope_scaling} divides positions by its factor.
 */
public final class Rope implements AutoCloseable {
    private final int headDim;
    private final int positions;
    private final NDArray cos; // (positions, headDim), one table per model, on the first device
    private final NDArray sin;
    private final NDArray rotateHalf; // (headDim, headDim)

    private final NDManager manager;

    /** Cos/sin tables for positions [0, positions) on {@code device}. */
    public Rope(LlamaConfig config, int positions, Device device, NDManager parent) {
        this.headDim = config.headDim();
        this.positions = positions;
        int half = headDim / 2;
        float[] c = new float[positions * headDim];
        float[] s = new float[positions * headDim];
        for (int i = 0; i < half; i++) {
            // As Hugging Face: inverse frequency and the product with the position in float32,
            // so our angles round like theirs; the cos/sin themselves in double.
            float invFreq = (float) (1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / headDim));
            invFreq = (float) (invFreq / config.ropeScale());
            for (int p = 0; p < positions; p++) {
                float angle = p * invFreq;
                float cv = (float) Math.cos(angle);
                float sv = (float) Math.sin(angle);
                // Both halves of a head share the angle: emb = cat(freqs, freqs).
                c[p * headDim + i] = cv;
                c[p * headDim + i + half] = cv;
                s[p * headDim + i] = sv;
                s[p * headDim + i + half] = sv;
            }
        }
        this.manager = parent.newSubManager(device);
        this.cos = manager.create(c, new Shape(positions, headDim));
        this.sin = manager.create(s, new Shape(positions, headDim));
        // rotateHalf(x) = (-x2, x1) as a signed permutation: x @ R, one op instead of split, neg and
        // concat, and exact (each output is one input times +-1 plus exact zeros).
        float[] r = new float[headDim * headDim];
        for (int i = 0; i < half; i++) {
            r[(i + half) * headDim + i] = -1; // output i takes -x[i + half]
            r[i * headDim + i + half] = 1; // output i + half takes x[i]
        }
        this.rotateHalf = manager.create(r, new Shape(headDim, headDim));
    }

    public int headDim() {
        return headDim;
    }

    public int positions() {
        return positions;
    }

    /**
     * Cos and sin rows for {@code positionIds} (B, T), shaped (B, T, 1, headDim) so they broadcast over
     * heads, attached to {@code step}.
     */
    public NDList at(NDArray positionIds, NDManager step) {
        NDArray c = cos.get(step, new NDIndex("{}", positionIds)); // (B, T, headDim)
        NDArray s = sin.get(step, new NDIndex("{}", positionIds));
        return new NDList(c.expandDims(2), s.expandDims(2)); // (B, T, 1, headDim)
    }

    /** The (headDim, headDim) matrix R with x @ R = rotateHalf(x), on the tables' device. */
    public NDArray rotateHalf() {
        return rotateHalf;
    }

    /**
     * Rotates every head of {@code x} (B, T, heads, headDim): x * cos + rotateHalf(x) * sin, where
     * rotateHalf(x) = (-x2, x1) for halves x1, x2 — the 2-D rotation of each pair (x1[i], x2[i]) —
     * computed as x @ {@link #rotateHalf()}.
     */
    public static NDArray rotate(NDArray x, NDArray cos, NDArray sin, NDArray rotateHalf) {
        // In place on the product's fresh result: two temporaries of x's size instead of four (a
        // prefill's peak memory); x cos + rot(x) sin adds the same two terms, so the result is the same.
        NDArray cosTerm = x.mul(cos);
        NDArray rotated = x.matMul(rotateHalf).muli(sin).addi(cosTerm);
        cosTerm.close();
        return rotated;
    }

    @Override
    public void close() {
        manager.close();
    }
}
