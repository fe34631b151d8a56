package dev.kun.model.llama;

import dev.kun.model.cpu.DirectMemory;
import dev.kun.model.checkpoint.WeightSource;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import java.nio.ByteBuffer;

/**
 * The token embedding, (vocab, hidden): either a table held on the first layer's device, or, when the
 * output head is a matrix of its own, rows read from the checkpoint for the tokens of each pass. A
 * pass reads a few rows of the table, so holding it would keep vocab x hidden values resident for
 * nothing (98 MB of a 134M-parameter model in F32, 1.8 GB of Yi-34B); the rows come through the
 * page cache, as llama.cpp's memory-mapped weights do, and cost one positional read per token. A
 * tied head reads the whole table every pass, so a tied model holds it.
 */
public final class TokenEmbedding implements AutoCloseable {
    private final NDArray table; // null when rows are read from the checkpoint
    private final WeightSource.RowReader rows; // null when the table is held
    private final long vocab;
    private final int hidden;
    private final DataType dtype;
    private final Device device;

    private TokenEmbedding(NDArray table, WeightSource.RowReader rows, long vocab, int hidden, DataType dtype, Device device) {
        this.table = table;
        this.rows = rows;
        this.vocab = vocab;
        this.hidden = hidden;
        this.dtype = dtype;
        this.device = device;
    }

    /** An embedding that looks rows up in {@code table}, (vocab, hidden), on the table's device. */
    static TokenEmbedding held(NDArray table) {
        Shape s = table.getShape();
        return new TokenEmbedding(table, null, s.get(0), Math.toIntExact(s.get(1)), table.getDataType(), table.getDevice());
    }

    /**
     * An embedding whose rows {@code reader} reads, converted to {@code dtype}, at each lookup; the
     * embedding owns the reader. Row 0 is read once now, so an unreadable tensor fails at load.
     */
    static TokenEmbedding fromCheckpoint(WeightSource.RowReader reader, long vocab, int hidden, DataType dtype, Device device) {
        TokenEmbedding e = new TokenEmbedding(null, reader, vocab, hidden, dtype, device);
        try {
            reader.readRows(dtype, 0, 1, ByteBuffer.allocateDirect(hidden * dtype.getNumOfBytes()));
        } catch (RuntimeException ex) {
            reader.close();
            throw ex;
        }
        return e;
    }

    /** The held table, or null when rows are read from the checkpoint. */
    public NDArray table() {
        return table;
    }

    /** Bytes held in memory: the table's, or none. */
    long bytes() {
        return table == null ? 0 : table.size() * table.getDataType().getNumOfBytes();
    }

    /**
     * Embeddings of {@code ids} (row-major, {@code b} rows of {@code t}): (B, T, hidden) on the first
     * layer's device, attached to {@code manager}. An id outside the vocabulary is an
     * IllegalArgumentException.
     */
    NDArray lookup(long[] ids, int b, int t, NDManager manager) {
        for (long id : ids) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary of " + vocab);
            }
        }
        if (table != null) {
            NDArray idArray = manager.create(ids, new Shape(b, t)).toDevice(device, false);
            return idArray.getNDArrayInternal().embedding(idArray, table, SparseFormat.DENSE).singletonOrThrow();
        }
        NDArray host = manager.create(new Shape(b, t, hidden), dtype, Device.cpu());
        ByteBuffer dest = DirectMemory.hostView(host);
        for (long id : ids) rows.readRows(dtype, id, 1, dest);
        return device.equals(Device.cpu()) ? host : host.toDevice(device, false);
    }

    @Override
    public void close() {
        if (rows != null) rows.close();
    }
}
