package dev.kun.model.checkpoint;

import ai.djl.ndarray.types.DataType;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * A {@link WeightSource} whose tensors answer to other names than the ones stored, such as Yi's first
 * release, whose {@code ln1}/{@code ln2} norms the model reads as Llama's {@code input_layernorm} and
 * {@code post_attention_layernorm}. Reads go to the stored tensor; nothing is copied.
 */
public final class RenamedWeights implements WeightSource {
    private final WeightSource stored;
    /** Model name to stored name, in the stored order. */
    private final Map<String, String> storedName;

    private RenamedWeights(WeightSource stored, Map<String, String> storedName) {
        this.stored = stored;
        this.storedName = storedName;
    }

    /**
     * {@code source} with every stored name {@code n} answering to {@code rename.apply(n)}, or
     * {@code source} itself when no name changes. Two stored tensors that would answer to one name (a
     * checkpoint holding both spellings) are a KunException naming {@code where}.
     */
    public static WeightSource of(WeightSource source, UnaryOperator<String> rename, Object where) {
        Map<String, String> map = new LinkedHashMap<>();
        boolean changed = false;
        for (String n : source.names()) {
            String to = rename.apply(n);
            changed |= !to.equals(n);
            String before = map.put(to, n);
            if (before != null) {
                throw new KunException(ExitCodes.BACKEND, "the weights in " + where + " hold both " + before + " and " + n
                        + ", which are the same tensor under two spellings");
            }
        }
        return changed ? new RenamedWeights(source, Collections.unmodifiableMap(map)) : source;
    }

    @Override
    public Set<String> names() {
        return storedName.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo t = stored.info(stored(name));
        return new TensorInfo(name, t.dtype(), t.shape());
    }

    @Override
    public ByteBuffer read(String name, DataType target) {
        return stored.read(stored(name), target);
    }

    @Override
    public void readRows(String name, DataType target, long firstRow, int rows, ByteBuffer dest) {
        stored.readRows(stored(name), target, firstRow, rows, dest);
    }

    @Override
    public RowReader rowReader(String name) {
        return stored.rowReader(stored(name));
    }

    /** The stored name; an unknown one passes through so that the stored source's error names it. */
    private String stored(String name) {
        return storedName.getOrDefault(name, name);
    }

    @Override
    public void close() {
        stored.close();
    }
}
