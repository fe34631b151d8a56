package dev.kun.seed;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * MurmurHash3 x64 128-bit (Austin Appleby's reference algorithm, seed 0), the hash behind exact
 * deduplication and stable ids. Chosen because it is fast and reproducible elsewhere (Python
 * {@code mmh3.hash128(data, 0, True, False)} returns {@code h2 << 64 | h1}).
 */
public final class Murmur3 {
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long C1 = 0x87c37b91114253d5L;
    private static final long C2 = 0x4cf5ad432745937fL;

    private Murmur3() {}

    /** The 128-bit hash of {@code data}. */
    public static Hash128 hash128(byte[] data) {
        int len = data.length;
        long h1 = 0;
        long h2 = 0;
        int blocks = len >>> 4;
        for (int i = 0; i < blocks; i++) {
            long k1 = (long) LONG_LE.get(data, i << 4);
            long k2 = (long) LONG_LE.get(data, (i << 4) + 8);
            k1 *= C1;
            k1 = Long.rotateLeft(k1, 31);
            k1 *= C2;
            h1 ^= k1;
            h1 = Long.rotateLeft(h1, 27);
            h1 += h2;
            h1 = h1 * 5 + 0x52dce729;
            k2 *= C2;
            k2 = Long.rotateLeft(k2, 33);
            k2 *= C1;
            h2 ^= k2;
            h2 = Long.rotateLeft(h2, 31);
            h2 += h1;
            h2 = h2 * 5 + 0x38495ab5;
        }
        int tail = blocks << 4;
        long k1 = 0;
        long k2 = 0;
        // The reference falls through its switch; the two loops do the same for the 0..15 tail bytes.
        for (int i = (len & 15) - 1; i >= 8; i--) {
            k2 ^= (long) (data[tail + i] & 0xff) << ((i - 8) * 8);
        }
        if ((len & 15) > 8) {
            k2 *= C2;
            k2 = Long.rotateLeft(k2, 33);
            k2 *= C1;
            h2 ^= k2;
        }
        for (int i = Math.min(len & 15, 8) - 1; i >= 0; i--) {
            k1 ^= (long) (data[tail + i] & 0xff) << (i * 8);
        }
        if ((len & 15) > 0) {
            k1 *= C1;
            k1 = Long.rotateLeft(k1, 31);
            k1 *= C2;
            h1 ^= k1;
        }
        h1 ^= len;
        h2 ^= len;
        h1 += h2;
        h2 += h1;
        h1 = fmix64(h1);
        h2 = fmix64(h2);
        h1 += h2;
        h2 += h1;
        return new Hash128(h1, h2);
    }

    /** The reference finaliser: a bijection that makes every input bit affect every output bit. */
    public static long fmix64(long k) {
        k ^= k >>> 33;
        k *= 0xff51afd7ed558ccdL;
        k ^= k >>> 33;
        k *= 0xc4ceb9fe1a85ec53L;
        k ^= k >>> 33;
        return k;
    }

    /** A 128-bit hash as the reference's two 64-bit halves. */
    public record Hash128(long h1, long h2) {
        /** 32 lowercase hex digits: h1 then h2, each big-endian. */
        public String hex() {
            return String.format("%016x%016x", h1, h2);
        }
    }
}
