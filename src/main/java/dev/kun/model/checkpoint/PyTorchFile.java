package dev.kun.model.checkpoint;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One PyTorch checkpoint file ({@code pytorch_model.bin}, a shard of one, any {@code torch.save} of a
 * state dict since PyTorch 1.6): a zip archive, entries stored uncompressed, holding
 * {@code ARCHIVE/data.pkl} (the state dict, pickled, with tensors as references to storages) and one
 * entry {@code ARCHIVE/data/KEY} per storage, the raw little-endian elements. Opening reads the zip's
 * central directory and {@code data.pkl} alone (kilobytes), through {@link StateDictPickle}, which
 * runs no pickle code. Each tensor is then a byte range of the file like a safetensors tensor, read on
 * demand at its offset ({@link TensorFile}), so loading needs no more memory than safetensors.
 *
 * <p>Tensors must be contiguous (row-major strides), as every state dict Hugging Face writes is; the
 * zip may be ZIP64 (shards above 4 GB are).
 */
public final class PyTorchFile extends TensorFile {
    private static final int LOCAL_HEADER = 0x04034b50;
    private static final int CENTRAL_HEADER = 0x02014b50;
    private static final int END = 0x06054b50;
    private static final int END64 = 0x06064b50;
    private static final int END64_LOCATOR = 0x07064b50;
    /** data.pkl of a state dict is kilobytes to a few megabytes; far more means something else. */
    private static final long MAX_PICKLE = 256L << 20;
    private static final long MAX_DIRECTORY = 256L << 20;

    /** A zip entry: where its local header is, how it is stored, and its size. */
    private record ZipEntry(String name, int method, long size, long localHeader) {}

    private PyTorchFile(Path file, FileChannel channel, Map<String, Entry> entries) {
        super(file, channel, entries);
    }

    /** Opens {@code file} and reads its state dict's layout; any problem is a one-line KunException(BACKEND) naming it. */
    public static PyTorchFile open(Path file) {
        FileChannel ch = openChannel(file);
        try {
            long size = size(ch, file);
            ByteBuffer magic = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            if (size < 4) throw corrupt(file, "it has " + size + " bytes");
            readFully(ch, magic, 0, file);
            if (magic.getInt(0) != LOCAL_HEADER) {
                throw new KunException(ExitCodes.BACKEND, (magic.get(0) & 0xff) == 0x80
                        ? file + " is in PyTorch's legacy format (before PyTorch 1.6, or saved with"
                                + " _use_new_zipfile_serialization=False), which kun does not read; re-save it with torch.save"
                                + " from PyTorch 1.6 or later, or convert it to safetensors"
                        : file + " is not a PyTorch checkpoint (no zip archive)");
            }
            Map<String, ZipEntry> zip = directory(ch, file, size);
            ZipEntry pickle = null;
            for (ZipEntry e : zip.values()) {
                int slash = e.name().indexOf('/');
                if (slash > 0 && e.name().substring(slash).equals("/data.pkl")) {
                    if (pickle != null) throw corrupt(file, "it holds two data.pkl entries");
                    pickle = e;
                }
            }
            if (pickle == null) throw corrupt(file, "it has no data.pkl entry (a zip, but not a torch.save checkpoint)");
            String prefix = pickle.name().substring(0, pickle.name().length() - "data.pkl".length());
            ZipEntry order = zip.get(prefix + "byteorder");
            if (order != null && !new String(bytes(ch, file, order, 16), StandardCharsets.US_ASCII).strip().equals("little")) {
                throw new KunException(ExitCodes.BACKEND, file + " was saved on a big-endian machine; kun reads little-endian checkpoints only");
            }
            if (pickle.size() > MAX_PICKLE) throw corrupt(file, "its data.pkl has " + pickle.size() + " bytes");
            Map<String, StateDictPickle.Tensor> tensors = StateDictPickle.read(bytes(ch, file, pickle, MAX_PICKLE), file.toString());
            Map<String, Long> storageStart = new HashMap<>();
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (Map.Entry<String, StateDictPickle.Tensor> e : tensors.entrySet()) {
                entries.put(e.getKey(), entry(ch, file, zip, prefix, storageStart, e.getKey(), e.getValue()));
            }
            return new PyTorchFile(file, ch, Collections.unmodifiableMap(entries));
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** Where tensor {@code name}'s bytes are: its storage entry's data, plus its offset. */
    private static Entry entry(FileChannel ch, Path file, Map<String, ZipEntry> zip, String prefix,
            Map<String, Long> storageStart, String name, StateDictPickle.Tensor t) {
        StateDictPickle.Storage s = t.storage();
        ZipEntry data = zip.get(prefix + "data/" + s.key());
        if (data == null) throw corrupt(file, "tensor " + name + " refers to storage " + s.key() + ", which is not in the archive");
        Long start = storageStart.get(s.key());
        if (start == null) {
            start = dataStart(ch, file, data);
            storageStart.put(s.key(), start);
        }
        TensorInfo info = new TensorInfo(name, s.dtype(), t.shape());
        int width = switch (s.dtype()) {
            case "F64", "I64" -> 8;
            case "F32", "I32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            default -> 1;
        };
        long count = info.elementCount();
        if (t.offset() < 0 || count < 0 || Arrays.stream(t.shape()).anyMatch(d -> d < 0)
                || (count > 0 && (t.offset() + count) * width > data.size())) {
            throw corrupt(file, "tensor " + name + " (offset " + t.offset() + ", shape " + Arrays.toString(t.shape())
                    + ") does not fit its storage of " + data.size() + " bytes");
        }
        long expected = 1;
        for (int i = t.shape().length - 1; i >= 0; i--) {
            // A dimension of size 1 may have any stride: it is never stepped over.
            if (t.shape()[i] != 1 && (i >= t.stride().length || t.stride()[i] != expected)) {
                throw new KunException(ExitCodes.BACKEND, "tensor " + name + " in " + file + " is not contiguous (shape "
                        + Arrays.toString(t.shape()) + ", strides " + Arrays.toString(t.stride())
                        + "); kun reads row-major tensors only: re-save the state dict with every tensor .contiguous()");
            }
            expected *= t.shape()[i];
        }
        return new Entry(info, start + t.offset() * width);
    }

    /** The central directory, by entry name (ZIP64 records and extra fields understood). */
    private static Map<String, ZipEntry> directory(FileChannel ch, Path file, long size) {
        int tailLength = (int) Math.min(size, 22 + 0xffff);
        ByteBuffer tail = read(ch, file, size - tailLength, tailLength);
        int end = -1;
        for (int i = tailLength - 22; i >= 0; i--) {
            if (tail.getInt(i) == END) {
                end = i;
                break;
            }
        }
        if (end < 0) throw corrupt(file, "no end of central directory (cut short?)");
        long count = tail.getShort(end + 10) & 0xffff;
        long dirSize = tail.getInt(end + 12) & 0xffffffffL;
        long dirStart = tail.getInt(end + 16) & 0xffffffffL;
        if (count == 0xffff || dirSize == 0xffffffffL || dirStart == 0xffffffffL) {
            long locatorAt = size - tailLength + end - 20;
            if (locatorAt < 0) throw corrupt(file, "ZIP64 locator missing");
            ByteBuffer locator = read(ch, file, locatorAt, 20);
            if (locator.getInt(0) != END64_LOCATOR) throw corrupt(file, "ZIP64 locator missing");
            long end64At = locator.getLong(8);
            if (end64At < 0 || end64At + 56 > size) throw corrupt(file, "ZIP64 end record outside the file");
            ByteBuffer end64 = read(ch, file, end64At, 56);
            if (end64.getInt(0) != END64) throw corrupt(file, "ZIP64 end record missing");
            count = end64.getLong(32);
            dirSize = end64.getLong(40);
            dirStart = end64.getLong(48);
        }
        if (dirSize > MAX_DIRECTORY || dirStart < 0 || dirStart + dirSize > size) {
            throw corrupt(file, "central directory of " + dirSize + " bytes at " + dirStart + " does not fit");
        }
        ByteBuffer dir = read(ch, file, dirStart, (int) dirSize);
        Map<String, ZipEntry> out = new LinkedHashMap<>();
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (p + 46 > dirSize || dir.getInt(p) != CENTRAL_HEADER) throw corrupt(file, "central directory entry " + i + " is damaged");
            int method = dir.getShort(p + 10) & 0xffff;
            long entrySize = dir.getInt(p + 24) & 0xffffffffL;
            long compressed = dir.getInt(p + 20) & 0xffffffffL;
            int nameLength = dir.getShort(p + 28) & 0xffff;
            int extraLength = dir.getShort(p + 30) & 0xffff;
            int commentLength = dir.getShort(p + 32) & 0xffff;
            long local = dir.getInt(p + 42) & 0xffffffffL;
            if (p + 46 + nameLength + extraLength > dirSize) throw corrupt(file, "central directory entry " + i + " is damaged");
            byte[] nameBytes = new byte[nameLength];
            dir.get(p + 46, nameBytes);
            String name = new String(nameBytes, StandardCharsets.UTF_8);
            // ZIP64 extra field: the 8-byte values of whichever 4-byte fields overflowed, in this order.
            int x = p + 46 + nameLength;
            int extraEnd = x + extraLength;
            while (x + 4 <= extraEnd) {
                int id = dir.getShort(x) & 0xffff;
                int length = dir.getShort(x + 2) & 0xffff;
                if (id == 1) {
                    int v = x + 4;
                    if (entrySize == 0xffffffffL) {
                        entrySize = dir.getLong(v);
                        v += 8;
                    }
                    if (compressed == 0xffffffffL) {
                        compressed = dir.getLong(v);
                        v += 8;
                    }
                    if (local == 0xffffffffL) local = dir.getLong(v);
                }
                x += 4 + length;
            }
            if (method != 0 || compressed != entrySize) {
                throw new KunException(ExitCodes.BACKEND, file + ": zip entry " + name
                        + " is compressed; torch.save stores entries uncompressed, and kun reads them in place (re-save it with torch.save)");
            }
            out.put(name, new ZipEntry(name, method, entrySize, local));
            p += 46 + nameLength + extraLength + commentLength;
        }
        return out;
    }

    /** Where entry {@code e}'s data begins: after its local header, whose name and extra field may differ from the directory's. */
    private static long dataStart(FileChannel ch, Path file, ZipEntry e) {
        ByteBuffer h = read(ch, file, e.localHeader(), 30);
        if (h.getInt(0) != LOCAL_HEADER) throw corrupt(file, "the local header of " + e.name() + " is damaged");
        long start = e.localHeader() + 30 + (h.getShort(26) & 0xffff) + (h.getShort(28) & 0xffff);
        if (start + e.size() > size(ch, file)) throw corrupt(file, "entry " + e.name() + " runs past the end of the file (cut short?)");
        return start;
    }

    private static byte[] bytes(FileChannel ch, Path file, ZipEntry e, long max) {
        if (e.size() > max) throw corrupt(file, "entry " + e.name() + " has " + e.size() + " bytes");
        return read(ch, file, dataStart(ch, file, e), (int) e.size()).array();
    }

    private static ByteBuffer read(FileChannel ch, Path file, long position, int length) {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, b, position, file);
        return b.flip();
    }

    private static KunException corrupt(Path file, String why) {
        return new KunException(ExitCodes.BACKEND, "corrupt PyTorch checkpoint " + file + ": " + why);
    }
}
