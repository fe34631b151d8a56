package dev.kun.model.checkpoint;

/** Name, stored dtype (safetensors spelling: F32, F16, BF16) and shape of one checkpoint tensor. */
public record TensorInfo(String name, String dtype, long[] shape) {

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
