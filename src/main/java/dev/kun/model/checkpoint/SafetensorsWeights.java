package dev.kun.model.checkpoint;

import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weights of a checkpoint directory as a {@link WeightSource}: {@code model.safetensors}, or the
 * shards listed by {@code model.safetensors.index.json}. Tensors are converted one at a time, so
 * loading holds at most the model being built plus one tensor.
 */
public final class SafetensorsWeights implements WeightSource {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private final Path dir;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byName;

    private SafetensorsWeights(Path dir, List<SafetensorsFile> files, Map<String, SafetensorsFile> byName) {
        this.dir = dir;
        this.files = files;
        this.byName = byName;
    }

    /** True when {@code dir} holds safetensors weights in one of the two layouts. */
    public static boolean present(Path dir) {
        return Files.isRegularFile(dir.resolve(INDEX)) || Files.isRegularFile(dir.resolve(SINGLE));
    }

    /**
     * Opens the index when there is one (every shard it names must exist), else the single file.
     * Errors are KunException(BACKEND) naming the missing or corrupt file.
     */
    public static SafetensorsWeights open(Path dir) {
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(index)) return openIndex(dir, index);
        Path single = dir.resolve(SINGLE);
        if (!Files.isRegularFile(single)) {
            throw new KunException(ExitCodes.BACKEND, "no safetensors weights in " + dir + " (expected " + SINGLE + " or " + INDEX + ")");
        }
        SafetensorsFile f = SafetensorsFile.open(single);
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        for (String n : f.names()) byName.put(n, f);
        return new SafetensorsWeights(dir, List.of(f), Collections.unmodifiableMap(byName));
    }

    private static SafetensorsWeights openIndex(Path dir, Path index) {
        JsonNode map = CheckpointFiles.readJson(index).path("weight_map");
        if (!map.isObject() || map.isEmpty()) {
            throw new KunException(ExitCodes.BACKEND, index + ": weight_map is missing or empty");
        }
        // Check every shard first so the error names a missing file, not a half-opened model.
        Map<String, String> shardOf = new LinkedHashMap<>();
        map.fields().forEachRemaining(e -> shardOf.put(e.getKey(), e.getValue().asText()));
        for (String shard : new java.util.LinkedHashSet<>(shardOf.values())) {
            if (!Files.isRegularFile(dir.resolve(shard))) {
                throw new KunException(ExitCodes.BACKEND, index + " references missing shard " + shard);
            }
        }
        Map<String, SafetensorsFile> open = new LinkedHashMap<>();
        List<SafetensorsFile> files = new ArrayList<>();
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> e : shardOf.entrySet()) {
                SafetensorsFile f = open.get(e.getValue());
                if (f == null) {
                    f = SafetensorsFile.open(dir.resolve(e.getValue()));
                    open.put(e.getValue(), f);
                    files.add(f);
                }
                if (!f.contains(e.getKey())) {
                    throw new KunException(ExitCodes.BACKEND, index + " maps " + e.getKey() + " to " + e.getValue()
                            + ", which does not contain it");
                }
                byName.put(e.getKey(), f);
            }
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
        return new SafetensorsWeights(dir, List.copyOf(files), Collections.unmodifiableMap(byName));
    }

    @Override
    public Set<String> names() {
        return byName.keySet();
    }

    @Override
    public TensorInfo info(String name) {
        return file(name).info(name);
    }

    @Override
    public ByteBuffer read(String name, DataType target) {
        return file(name).read(name, target);
    }

    /** Reads only the requested rows: see {@link SafetensorsFile#readRows}. */
    @Override
    public void readRows(String name, DataType target, long firstRow, int rows, ByteBuffer dest) {
        file(name).readRows(name, target, firstRow, rows, dest);
    }

    /**
     * Opens {@code name}'s file anew (header parsed again, a few milliseconds), so the reader outlives
     * this source. Positional reads on one channel and per-thread staging make it thread-safe.
     */
    @Override
    public RowReader rowReader(String name) {
        SafetensorsFile own = SafetensorsFile.open(file(name).file());
        return new RowReader() {
            @Override
            public void readRows(DataType target, long firstRow, int rows, ByteBuffer dest) {
                own.readRows(name, target, firstRow, rows, dest);
            }

            @Override
            public void close() {
                own.close();
            }
        };
    }

    /** The stored dtypes present (e.g. {"BF16"}), for choosing a compute dtype. */
    public Set<String> storedDtypes() {
        Set<String> d = new java.util.TreeSet<>();
        for (String n : byName.keySet()) d.add(info(n).dtype());
        return d;
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile f = byName.get(name);
        if (f == null) {
            throw new KunException(ExitCodes.BACKEND, "tensor " + name + " not found in the weights of " + dir);
        }
        return f;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
