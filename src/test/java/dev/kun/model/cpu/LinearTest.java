package dev.kun.model.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * A weight packed for oneDNN computes what the dense weight computes, for any row count: exact below
 * 64 rows, padded above, in 512-row blocks beyond.
 */
class LinearTest {

    @Test
    void oneDnnSeesAFewDistinctRowCountsWhateverTheProduct() {
        java.util.Set<Long> seen = new java.util.TreeSet<>();
        for (long rows = 1; rows <= 5000; rows++) {
            for (long first = 0; first < rows; first += Linear.BLOCK_ROWS) {
                long n = Math.min(Linear.BLOCK_ROWS, rows - first);
                long padded = rows <= Linear.EXACT_ROWS ? rows : Linear.paddedRows(n);
                assertTrue(padded >= n && padded - n < Linear.PAD_ROWS, rows + " rows: block of " + n + " padded to " + padded);
                seen.add(padded);
            }
        }
        // 1..64 exactly, then 128, 192, ..., 512: each one kernel (and its buffers) in oneDNN's cache per matrix.
        assertEquals(Linear.EXACT_ROWS + (Linear.BLOCK_ROWS - Linear.EXACT_ROWS) / Linear.PAD_ROWS, seen.size(), seen.toString());
    }

    @Test
    void aLibtorchWithoutTheOpsGivesNoOpsInsteadOfFailing() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            // The module as kun writes it, but calling an op no libtorch has: loading must fail inside.
            String missing = OneDnn.module("""
                      def reorder(self: __torch__.Ops, weight: Tensor, rows: int) -> Tensor:
                        return ops.mkldnn._no_such_reorder(weight, rows)
                    """);
            assertNull(OneDnn.load(m, missing));
            try (OneDnn ops = OneDnn.load(m)) {
                assertNotNull(ops, "the same loader with kun's module works");
            }
        }
    }

    @Test
    void packedProductsEqualDenseOnesAtAnyRowCount() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu()); OneDnn ops = OneDnn.load(m)) {
            assertNotNull(ops, "the Maven artifact's libtorch has oneDNN");
            // Sizes that are no multiple of oneDNN's blocks, with and without a bias.
            for (boolean withBias : new boolean[] {false, true}) {
                NDArray w = m.randomNormal(new Shape(45, 37));
                NDArray bias = withBias ? m.randomNormal(new Shape(45)) : null;
                Linear dense = Linear.dense(w.duplicate(), bias);
                NDArray source = w.duplicate();
                Linear packed = Linear.packed(ops, source, bias, 32, m);
                assertTrue(source.isReleased(), "the dense copy is freed once packed");
                assertTrue(packed.packed());
                assertFalse(dense.packed());
                assertEquals(dense.bytes(), packed.bytes());
                assertThrows(IllegalStateException.class, packed::weight);
                for (int rows : new int[] {1, 3, 32, 64, 65, 77, 512, 600, 1100}) {
                    try (NDManager step = m.newSubManager()) {
                        // (B, T, in) as the forward pass calls it: the leading axes are kept.
                        NDArray x = step.randomNormal(new Shape(1, rows, 37));
                        NDArray expected = dense.apply(x);
                        NDArray actual = packed.apply(x);
                        assertEquals(new Shape(1, rows, 45), actual.getShape());
                        assertEquals(step, actual.getManager(), "the result belongs to the input's manager");
                        float diff = expected.sub(actual).abs().max().getFloat();
                        assertTrue(diff < 1e-4f, rows + " rows, bias " + withBias + ": max |diff| " + diff);
                    }
                }
            }
        }
    }
}
