package dev.kun.model.cpu;

import ai.djl.ndarray.NDArray;

import java.nio.ByteOrder;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Frees a direct buffer now instead of at some later garbage collection: while loading a 68 GB
 * checkpoint tensor by tensor, waiting for the collector would let freed tensors pile up in native
 * memory. Uses {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported); when it is unavailable
 * the buffer is simply left to the collector.
 */
public final class DirectMemory {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method cleaner = null;
        try {
            Class<?> type = Class.forName("sun.misc.Unsafe");
            Field field = type.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            unsafe = field.get(null);
            cleaner = type.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            unsafe = null;
            cleaner = null;
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = cleaner;
    }

    private DirectMemory() {}

    /** Releases {@code buffer}'s memory; the buffer must not be used afterwards (nor any view of it). */
    public static void free(ByteBuffer buffer) {
        if (INVOKE_CLEANER == null || buffer == null || !buffer.isDirect()) return;
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buffer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // a slice or duplicate has no cleaner of its own: leave it to the collector
        }
    }

    /**
     * A direct little-endian view of a contiguous CPU tensor's memory (DJL hands one out over the
     * tensor's storage), to read into without a copy.
     */
    public static ByteBuffer hostView(NDArray array) {
        ByteBuffer dest = ((ai.djl.pytorch.engine.PtNDArray) array).toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN);
        if (!dest.isDirect() || dest.capacity() != array.size() * array.getDataType().getNumOfBytes()) {
            throw new IllegalStateException("DJL gave no direct view of a new tensor's memory");
        }
        return dest;
    }

}
