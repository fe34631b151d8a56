package dev.kun.model.checkpoint;

import dev.kun.model.cpu.HalfPrecision;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes one {@code .safetensors} file: the header declares every tensor up front, then values are
 * streamed in declaration order and narrowed to each tensor's dtype (F32, F16 or BF16) on the way,
 * so a tensor never needs to exist in memory in full.
 */
public final class SafetensorsWriter implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final OutputStream out;
    private final List<TensorInfo> tensors;
    private final ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private int current;
    private long writtenInCurrent;

    /** Creates {@code file} and writes the header for {@code tensors} (in this order) and {@code metadata}. */
    public SafetensorsWriter(Path file, List<TensorInfo> tensors, Map<String, String> metadata) {
        this.file = file;
        this.tensors = List.copyOf(tensors);
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (TensorInfo t : this.tensors) {
            long bytes = t.elementCount() * bytesPerElement(t.dtype());
            ObjectNode entry = header.putObject(t.name());
            entry.put("dtype", t.dtype());
            ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        // The reference implementation pads the header with spaces so the data section is 8-byte aligned.
        int padded = (json.length + 7) / 8 * 8;
        try {
            out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20);
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(json);
            for (int i = json.length; i < padded; i++) out.write(' ');
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        skipEmpty();
    }

    /** Bytes per element of a safetensors dtype this project reads and writes. */
    public static int bytesPerElement(String dtype) {
        return switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            default -> throw new IllegalArgumentException("unsupported safetensors dtype " + dtype + " (supported: F32, F16, BF16)");
        };
    }

    /**
     * Appends {@code values[from, from+count)} to the tensors in declaration order; a call may end
     * one tensor and start the next.
     */
    public void append(float[] values, int from, int count) {
        int i = from;
        int end = from + count;
        while (i < end) {
            if (current >= tensors.size()) {
                throw new IllegalStateException(file + ": more values than the declared tensors hold");
            }
            TensorInfo t = tensors.get(current);
            long left = t.elementCount() - writtenInCurrent;
            int n = (int) Math.min(left, end - i);
            for (int k = 0; k < n; k++) put(t.dtype(), values[i + k]);
            i += n;
            writtenInCurrent += n;
            if (writtenInCurrent == t.elementCount()) {
                current++;
                writtenInCurrent = 0;
                skipEmpty();
            }
        }
    }

    public void append(float[] values) {
        append(values, 0, values.length);
    }

    private void skipEmpty() {
        while (current < tensors.size() && tensors.get(current).elementCount() == 0) current++;
    }

    private void put(String dtype, float v) {
        if (chunk.remaining() < 4) flushChunk();
        switch (dtype) {
            case "F32" -> chunk.putFloat(v);
            case "F16" -> chunk.putShort(HalfPrecision.floatToF16(v));
            case "BF16" -> chunk.putShort(HalfPrecision.floatToBf16(v));
            default -> throw new IllegalArgumentException(dtype);
        }
    }

    private void flushChunk() {
        try {
            out.write(chunk.array(), 0, chunk.position());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        chunk.clear();
    }

    /** Finishes the file; fails when a declared tensor did not receive all its values. */
    @Override
    public void close() {
        flushChunk();
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        if (current < tensors.size()) {
            throw new IllegalStateException(file + ": tensor " + tensors.get(current).name() + " is incomplete");
        }
    }
}
