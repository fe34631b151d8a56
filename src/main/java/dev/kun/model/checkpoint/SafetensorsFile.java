package dev.kun.model.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code .safetensors} file: an 8-byte little-endian header length, a JSON header (name to dtype,
 * shape and byte range), then the raw little-endian tensor data. Only the header is read at open;
 * tensors are read on demand (see {@link TensorFile}).
 */
public final class SafetensorsFile extends TensorFile {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Headers are small (kilobytes); a huge length means a corrupt or non-safetensors file. */
    private static final long MAX_HEADER = 100L << 20;

    private final Map<String, String> metadata;

    private SafetensorsFile(Path file, FileChannel channel, Map<String, Entry> entries, Map<String, String> metadata) {
        super(file, channel, entries);
        this.metadata = metadata;
    }

    /** Opens {@code file} and parses its header; a malformed file raises KunException(BACKEND) naming it. */
    public static SafetensorsFile open(Path file) {
        FileChannel ch = openChannel(file);
        try {
            long size = size(ch, file);
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0, file);
            long headerLen = len.getLong(0);
            if (size < 8 || headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw corrupt(file, "header length " + headerLen + " does not fit a file of " + size + " bytes");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, 8, file);
            JsonNode header;
            try {
                header = JSON.readTree(new String(hb.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw corrupt(file, "header is not JSON (" + CheckpointFiles.oneLine(e) + ")");
            }
            long dataStart = 8 + headerLen;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            var fields = header.fields();
            while (fields.hasNext()) {
                var f = fields.next();
                JsonNode v = f.getValue();
                if (f.getKey().equals("__metadata__")) {
                    v.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                JsonNode shapeNode = v.path("shape");
                long[] shape = new long[shapeNode.size()];
                for (int i = 0; i < shape.length; i++) shape[i] = shapeNode.get(i).asLong();
                TensorInfo info = new TensorInfo(f.getKey(), v.path("dtype").asText(), shape);
                JsonNode off = v.path("data_offsets");
                long begin = off.path(0).asLong(-1);
                long end = off.path(1).asLong(-1);
                if (begin < 0 || end < begin || dataStart + end > size) {
                    throw corrupt(file, "tensor " + f.getKey() + " has data_offsets " + off + " outside the file");
                }
                int width = elementBytes(info.dtype());
                if (width > 0 && end - begin != info.elementCount() * width) {
                    throw corrupt(file, "tensor " + f.getKey() + " spans " + (end - begin) + " bytes but its shape needs "
                            + info.elementCount() * width);
                }
                entries.put(f.getKey(), new Entry(info, dataStart + begin));
            }
            return new SafetensorsFile(file, ch, Collections.unmodifiableMap(entries), Collections.unmodifiableMap(metadata));
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    private static KunException corrupt(Path file, String why) {
        return new KunException(ExitCodes.BACKEND, "corrupt safetensors file " + file + ": " + why);
    }

}
