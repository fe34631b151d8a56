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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The weights of a checkpoint directory in one file or in shards listed by an index
 * ({@code weight_map}: tensor name to shard file), as Hugging Face writes both safetensors and
 * PyTorch checkpoints. Tensors are converted one at a time, so loading holds at most the model being
 * built plus one tensor.
 */
abstract class IndexedWeights implements WeightSource {
    private final Path dir;
    private final List<? extends TensorFile> files;
    private final Map<String, TensorFile> byName;

    IndexedWeights(Path dir, List<? extends TensorFile> files, Map<String, TensorFile> byName) {
        this.dir = dir;
        this.files = files;
        this.byName = byName;
    }

    /** The index {@code index} when it exists, else the file {@code single}, opened with {@code opener}. */
    static <F extends TensorFile> Opened open(Path dir, String index, String single, Function<Path, F> opener) {
        Path indexFile = dir.resolve(index);
        if (Files.isRegularFile(indexFile)) return openIndex(dir, indexFile, opener);
        Path file = dir.resolve(single);
        if (!Files.isRegularFile(file)) {
            throw new KunException(ExitCodes.BACKEND, "no weights in " + dir + " (expected " + single + " or " + index + ")");
        }
        F f = opener.apply(file);
        Map<String, TensorFile> byName = new LinkedHashMap<>();
        for (String n : f.names()) byName.put(n, f);
        return new Opened(List.of(f), Collections.unmodifiableMap(byName));
    }

    /** Files opened and which holds each tensor. */
    record Opened(List<TensorFile> files, Map<String, TensorFile> byName) {}

    /** Every shard the index names must exist and hold the tensors it is said to hold. */
    private static <F extends TensorFile> Opened openIndex(Path dir, Path index, Function<Path, F> opener) {
        JsonNode map = CheckpointFiles.readJson(index).path("weight_map");
        if (!map.isObject() || map.isEmpty()) {
            throw new KunException(ExitCodes.BACKEND, index + ": weight_map is missing or empty");
        }
        // Check every shard first so the error names a missing file, not a half-opened model.
        Map<String, String> shardOf = new LinkedHashMap<>();
        map.fields().forEachRemaining(e -> shardOf.put(e.getKey(), e.getValue().asText()));
        for (String shard : new LinkedHashSet<>(shardOf.values())) {
            if (!Files.isRegularFile(dir.resolve(shard))) {
                throw new KunException(ExitCodes.BACKEND, index + " references missing shard " + shard);
            }
        }
        Map<String, F> open = new LinkedHashMap<>();
        List<TensorFile> files = new ArrayList<>();
        Map<String, TensorFile> byName = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, String> e : shardOf.entrySet()) {
                F f = open.get(e.getValue());
                if (f == null) {
                    f = opener.apply(dir.resolve(e.getValue()));
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
            files.forEach(TensorFile::close);
            throw e;
        }
        return new Opened(List.copyOf(files), Collections.unmodifiableMap(byName));
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

    /** Reads only the requested rows: see {@link TensorFile#readRows}. */
    @Override
    public void readRows(String name, DataType target, long firstRow, int rows, ByteBuffer dest) {
        file(name).readRows(name, target, firstRow, rows, dest);
    }

    /** Opens {@code name}'s file anew (a channel of its own), so the reader outlives this source. */
    @Override
    public RowReader rowReader(String name) {
        return file(name).rowReader(name);
    }

    /** The stored dtypes present (e.g. {"BF16"}), for choosing a compute dtype. */
    public Set<String> storedDtypes() {
        Set<String> d = new TreeSet<>();
        for (String n : byName.keySet()) d.add(info(n).dtype());
        return d;
    }

    private TensorFile file(String name) {
        TensorFile f = byName.get(name);
        if (f == null) {
            throw new KunException(ExitCodes.BACKEND, "tensor " + name + " not found in the weights of " + dir);
        }
        return f;
    }

    @Override
    public void close() {
        files.forEach(TensorFile::close);
    }
}
