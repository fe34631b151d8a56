package dev.kun.model.checkpoint;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The safetensors weights of a checkpoint directory as a {@link WeightSource}: {@code model.safetensors},
 * or the shards listed by {@code model.safetensors.index.json}.
 */
public final class SafetensorsWeights extends IndexedWeights {
    public static final String SINGLE = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";

    private SafetensorsWeights(Path dir, Opened opened) {
        super(dir, opened.files(), opened.byName());
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
        return new SafetensorsWeights(dir, open(dir, INDEX, SINGLE, SafetensorsFile::open));
    }
}
