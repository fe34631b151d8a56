package dev.kun.model.checkpoint;

import ai.djl.ndarray.types.DataType;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.model.cpu.HalfPrecision;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;

/**
 * A weights file whose tensors lie whole, row-major and little-endian, at known byte offsets: a
 * safetensors file, or the storages inside a PyTorch zip checkpoint. Tensors are read on demand with
 * positional reads through a small staging buffer and converted to the target dtype on the way.
 *
 * <p>Why positional reads and not {@code FileChannel.map}: mapped pages count toward the process's
 * resident memory until the mapping is collected, and Java 17 has no supported way to unmap, so
 * mapping a 68 GB model would look like a second copy of the weights. A read goes through the page
 * cache instead, which the kernel reclaims freely. Offsets are longs, so files of any size work.
 */
public abstract class TensorFile implements AutoCloseable {
    private static final int STAGING = 4 << 20;

    /** Where one tensor's bytes start in the file (they run for elementCount x element bytes). */
    record Entry(TensorInfo info, long start) {}

    private final Path file;
    private final FileChannel channel;
    private final Map<String, Entry> entries;

    TensorFile(Path file, FileChannel channel, Map<String, Entry> entries) {
        this.file = file;
        this.channel = channel;
        this.entries = entries;
    }

    /** Opens {@code file} for positional reads; failure is a KunException(BACKEND) naming it. */
    static FileChannel openChannel(Path file) {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new KunException(ExitCodes.BACKEND, "cannot open weights " + file + ": " + CheckpointFiles.oneLine(e), e);
        }
    }

    public Path file() {
        return file;
    }

    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** Tensor names in the file's order. */
    public Set<String> names() {
        return entries.keySet();
    }

    public TensorInfo info(String name) {
        return entry(name).info();
    }

    /**
     * Converts tensor {@code name} to {@code target} into a new direct little-endian buffer. DJL's
     * PyTorch engine wraps a direct buffer on the CPU without copying it (torch::from_blob), so the
     * buffer becomes the tensor's storage: one copy in memory, and it must not be reused. A tensor
     * above 2 GiB in the target dtype cannot live in one Java buffer: that is a KunException naming
     * the tensor; read it in row blocks with {@link #readRows}.
     */
    public ByteBuffer read(String name, DataType target) {
        Entry e = entry(name);
        long bytes = e.info().elementCount() * targetBytes(target, name);
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new KunException(ExitCodes.BACKEND, "tensor " + name + " in " + file + " is " + bytes + " bytes as "
                    + target + ", above the 2 GiB a Java buffer holds; read it in row blocks (readRows)");
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        convert(e, 0, e.info().elementCount(), target, out);
        out.flip();
        return out;
    }

    /**
     * Converts rows {@code [firstRow, firstRow + rows)} of tensor {@code name} (rows along the first
     * dimension) to {@code target}, writing them at {@code dest}'s position, which advances.
     */
    public void readRows(String name, DataType target, long firstRow, int rows, ByteBuffer dest) {
        Entry e = entry(name);
        long[] shape = e.info().shape();
        long rowElems = shape.length == 0 ? 1 : e.info().elementCount() / Math.max(1, shape[0]);
        long totalRows = shape.length == 0 ? 1 : shape[0];
        if (firstRow < 0 || rows < 0 || firstRow + rows > totalRows) {
            throw new IllegalArgumentException("rows [" + firstRow + ", " + (firstRow + rows) + ") outside " + name
                    + " with " + totalRows + " rows");
        }
        long need = rows * rowElems * targetBytes(target, name);
        if (dest.remaining() < need) {
            throw new IllegalArgumentException("buffer holds " + dest.remaining() + " bytes, rows need " + need);
        }
        convert(e, firstRow * rowElems, rows * rowElems, target, dest);
    }

    /** Converts {@code count} elements starting at element {@code first} into {@code out}. */
    private void convert(Entry e, long first, long count, DataType target, ByteBuffer out) {
        String src = e.info().dtype();
        int inWidth = elementBytes(src);
        if (inWidth < 0) {
            throw new KunException(ExitCodes.BACKEND, "tensor " + e.info().name() + " in " + file + " has dtype " + src
                    + " (supported: F32, F16, BF16)");
        }
        targetBytes(target, e.info().name());
        out.order(ByteOrder.LITTLE_ENDIAN);
        long pos = e.start() + first * inWidth;
        long left = count;
        boolean same = (src.equals("F32") && target == DataType.FLOAT32) || (src.equals("F16") && target == DataType.FLOAT16);
        if (same && out.isDirect()) {
            // No conversion: read straight into the destination, no staging copy.
            ByteBuffer view = out.duplicate();
            view.limit(out.position() + (int) (count * inWidth));
            readFully(channel, view, pos, file);
            out.position(view.position());
            return;
        }
        Scratch k = SCRATCH.get();
        while (left > 0) {
            int n = (int) Math.min(left, STAGING / inWidth);
            k.stage.clear().limit(n * inWidth);
            readFully(channel, k.stage, pos, file);
            k.stage.flip();
            int bad = convertChunk(src, k, n, target, out);
            if (bad >= 0) {
                float v = src.equals("F32") ? k.floats[bad] : HalfPrecision.bf16ToFloat(k.shorts[bad]);
                throw new KunException(ExitCodes.BACKEND, "tensor " + e.info().name() + " in " + file + " holds " + v
                        + ", beyond the float16 range (65504); use --dtype f32");
            }
            pos += (long) n * inWidth;
            left -= n;
        }
    }

    /** Per-thread staging buffer and arrays: bulk copies in and out, plain array loops in between. */
    private static final class Scratch {
        final ByteBuffer stage = ByteBuffer.allocateDirect(STAGING).order(ByteOrder.LITTLE_ENDIAN);
        final short[] shorts = new short[STAGING / 2];
        final short[] halves = new short[STAGING / 2];
        final float[] floats = new float[STAGING / 2];
        final int[] ints = new int[STAGING / 2];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** BF16 to F16 for all 65536 inputs: one table lookup per element, exactly {@link HalfPrecision#bf16ToF16}. */
    private static final short[] BF16_TO_F16 = new short[1 << 16];
    /** F16 to F32 for all 65536 inputs. */
    private static final float[] F16_TO_F32 = new float[1 << 16];

    static {
        for (int i = 0; i < 1 << 16; i++) {
            BF16_TO_F16[i] = HalfPrecision.bf16ToF16((short) i);
            F16_TO_F32[i] = HalfPrecision.f16ToFloat((short) i);
        }
    }

    /**
     * Converts the {@code n} elements staged in {@code k} into {@code out}. Returns -1, or the index of
     * a finite input that overflowed to infinity in F16 (nothing is written past it then).
     */
    private static int convertChunk(String src, Scratch k, int n, DataType target, ByteBuffer out) {
        ByteBuffer in = k.stage;
        int at = out.position();
        switch (src) {
            case "F32" -> {
                if (target == DataType.FLOAT32) {
                    out.put(in);
                    return -1;
                }
                in.asFloatBuffer().get(k.floats, 0, n);
                for (int i = 0; i < n; i++) {
                    short h = HalfPrecision.floatToF16(k.floats[i]);
                    if ((h & 0x7fff) == 0x7c00 && Float.isFinite(k.floats[i])) return i;
                    k.halves[i] = h;
                }
                out.asShortBuffer().put(k.halves, 0, n);
                out.position(at + 2 * n);
            }
            case "F16" -> {
                if (target == DataType.FLOAT16) {
                    out.put(in);
                    return -1;
                }
                in.asShortBuffer().get(k.shorts, 0, n);
                for (int i = 0; i < n; i++) k.floats[i] = F16_TO_F32[k.shorts[i] & 0xffff];
                out.asFloatBuffer().put(k.floats, 0, n);
                out.position(at + 4 * n);
            }
            case "BF16" -> {
                in.asShortBuffer().get(k.shorts, 0, n);
                if (target == DataType.FLOAT32) {
                    // BF16 is the high half of an F32: widening is a 16-bit shift.
                    for (int i = 0; i < n; i++) k.ints[i] = (k.shorts[i] & 0xffff) << 16;
                    out.asIntBuffer().put(k.ints, 0, n);
                    out.position(at + 4 * n);
                } else {
                    for (int i = 0; i < n; i++) {
                        short b = k.shorts[i];
                        short h = BF16_TO_F16[b & 0xffff];
                        // Infinity out of a finite (exponent not all ones) BF16 input is an overflow.
                        if ((h & 0x7fff) == 0x7c00 && (b & 0x7f80) != 0x7f80) return i;
                        k.halves[i] = h;
                    }
                    out.asShortBuffer().put(k.halves, 0, n);
                    out.position(at + 2 * n);
                }
            }
            default -> throw new IllegalStateException(src);
        }
        return -1;
    }

    /**
     * A reader of tensor {@code name}'s rows through a channel of its own, which stays open after this
     * file is closed (see {@link WeightSource#rowReader}); positional reads and per-thread staging make
     * it thread-safe.
     */
    public WeightSource.RowReader rowReader(String name) {
        Entry e = entry(name);
        FileChannel own = openChannel(file);
        TensorFile one = new TensorFile(file, own, Map.of(name, e)) {};
        return new WeightSource.RowReader() {
            @Override
            public void readRows(DataType target, long firstRow, int rows, ByteBuffer dest) {
                one.readRows(name, target, firstRow, rows, dest);
            }

            @Override
            public void close() {
                one.close();
            }
        };
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new KunException(ExitCodes.BACKEND, "tensor " + name + " not found in " + file);
        }
        return e;
    }

    /** Bytes per element of a stored dtype, or -1 when this reader cannot convert it. */
    public static int elementBytes(String dtype) {
        return switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> -1;
        };
    }

    static int targetBytes(DataType target, String name) {
        if (target != DataType.FLOAT32 && target != DataType.FLOAT16) {
            throw new IllegalArgumentException("tensor " + name + ": target dtype must be FLOAT32 or FLOAT16, not " + target);
        }
        return target.getNumOfBytes();
    }

    /** Fills {@code dst} from {@code position}; a file that ends first is a KunException(BACKEND) naming it. */
    static void readFully(FileChannel ch, ByteBuffer dst, long position, Path file) {
        try {
            long p = position;
            while (dst.hasRemaining()) {
                int r = ch.read(dst, p);
                if (r < 0) throw new KunException(ExitCodes.BACKEND, "cannot read " + file + ": it ends early at byte " + p + " (cut short?)");
                p += r;
            }
        } catch (IOException e) {
            throw new KunException(ExitCodes.BACKEND, "cannot read " + file + ": " + CheckpointFiles.oneLine(e), e);
        }
    }

    static long size(FileChannel ch, Path file) {
        try {
            return ch.size();
        } catch (IOException e) {
            throw new KunException(ExitCodes.BACKEND, "cannot read " + file + ": " + CheckpointFiles.oneLine(e), e);
        }
    }

    static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // Already failing; the original error is the one to report.
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }
}
