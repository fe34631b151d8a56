package dev.kun.model.checkpoint;

import dev.kun.model.cpu.HalfPrecision;
import ai.djl.ndarray.types.DataType;
import dev.kun.testing.TinyCheckpoint;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A WeightSource over a TinyCheckpoint's values held in memory, rounded to the checkpoint's dtype as
 * the safetensors file would store them; counts reads so tests can see each tensor is read once.
 */
public final class MemoryWeights implements WeightSource {
    private final TinyCheckpoint checkpoint;
    private final Map<String, TensorInfo> infos = new LinkedHashMap<>();
    public final Map<String, Integer> reads = new LinkedHashMap<>();

    public MemoryWeights(TinyCheckpoint checkpoint) {
        this.checkpoint = checkpoint;
        for (TensorInfo t : checkpoint.tensors()) infos.put(t.name(), t);
    }

    /** The values as stored in the checkpoint's dtype, widened back to float. */
    public static float[] stored(TinyCheckpoint checkpoint, String name) {
        float[] v = checkpoint.values(name);
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (checkpoint.dtype()) {
                case "BF16" -> HalfPrecision.bf16ToFloat(HalfPrecision.floatToBf16(v[i]));
                case "F16" -> HalfPrecision.f16ToFloat(HalfPrecision.floatToF16(v[i]));
                default -> v[i];
            };
        }
        return v;
    }

    @Override
    public Set<String> names() {
        return infos.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo t = infos.get(name);
        if (t == null) throw new IllegalArgumentException("no tensor " + name);
        return t;
    }

    @Override
    public ByteBuffer read(String name, DataType target) {
        reads.merge(name, 1, Integer::sum);
        float[] v = stored(checkpoint, name);
        ByteBuffer b = ByteBuffer.allocateDirect(v.length * target.getNumOfBytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            if (target == DataType.FLOAT32) b.putFloat(f);
            else b.putShort(HalfPrecision.floatToF16(f));
        }
        return b.rewind();
    }

    @Override
    public void close() {}
}
