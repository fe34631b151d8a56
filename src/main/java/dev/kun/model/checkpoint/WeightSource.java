package dev.kun.model.checkpoint;

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

    /**
     * Converts rows {@code [firstRow, firstRow + rows)} (first dimension) of tensor {@code name} to
     * {@code target} into {@code dest} at its position, which advances. For tensors above 2 GiB in the
     * target dtype, which {@link #read} refuses; this default slices a full read, and the safetensors
     * source overrides it to read only the rows.
     */
    default void readRows(String name, DataType target, long firstRow, int rows, ByteBuffer dest) {
        TensorInfo info = info(name);
        long rowBytes = info.elementCount() / Math.max(1, info.shape().length == 0 ? 1 : info.shape()[0])
                * target.getNumOfBytes();
        ByteBuffer all = read(name, target);
        all.position(Math.toIntExact(firstRow * rowBytes)).limit(Math.toIntExact((firstRow + rows) * rowBytes));
        dest.put(all);
    }

    /**
     * Rows of tensor {@code name} on demand through a handle of their own, which stays open after this
     * source is closed (the model reads an untied embedding this way instead of holding the table), or
     * null when this source cannot provide one: the tensor is then loaded whole.
     */
    default RowReader rowReader(String name) {
        return null;
    }

    /** Reads rows of one tensor, converted to a dtype, until closed; safe to use from several threads. */
    interface RowReader extends AutoCloseable {
        /** As {@link WeightSource#readRows}, for this reader's tensor. */
        void readRows(DataType target, long firstRow, int rows, ByteBuffer dest);

        @Override
        void close();
    }

    @Override
    void close();
}
