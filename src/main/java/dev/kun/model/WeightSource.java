package dev.kun.model;

import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.util.Set;

/**
 * The seam between a checkpoint on disk and the model: named tensors (Hugging Face names such as
 * {@code model.layers.0.self_attn.q_proj.weight}), read one at a time so that loading never holds two
 * full copies of the weights.
 */
public interface WeightSource extends AutoCloseable {

    Set<String> names();

    /** Metadata of {@code name}; throws KunException naming the file when absent. */
    TensorInfo info(String name);

    /**
     * Copies tensor {@code name}, converted to {@code target} (FLOAT32 or FLOAT16), row-major, into a
     * new direct little-endian buffer of exactly elementCount * target.getNumOfBytes() bytes.
     */
    ByteBuffer read(String name, DataType target);

    @Override
    void close();
}
