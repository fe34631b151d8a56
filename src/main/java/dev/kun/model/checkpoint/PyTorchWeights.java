package dev.kun.model.checkpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The PyTorch weights of a checkpoint directory as a {@link WeightSource}: {@code pytorch_model.bin},
 * or the shards ({@code pytorch_model-00001-of-00007.bin}, ...) listed by
 * {@code pytorch_model.bin.index.json}, as Yi and many models of its time were released. Read
 * without running pickle code (see {@link PyTorchFile}).
 */
public final class PyTorchWeights extends IndexedWeights {
    public static final String SINGLE = "pytorch_model.bin";
    public static final String INDEX = "pytorch_model.bin.index.json";

    private PyTorchWeights(Path dir, Opened opened) {
        super(dir, opened.files(), opened.byName());
    }

    /** True when {@code dir} holds PyTorch weights in one of the two layouts. */
    public static boolean present(Path dir) {
        return Files.isRegularFile(dir.resolve(INDEX)) || Files.isRegularFile(dir.resolve(SINGLE));
    }

    /** True when {@code dir} holds any {@code *.bin} file, in a layout kun reads or not. */
    public static boolean anyBin(Path dir) {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.bin")) {
            return s.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Opens the index when there is one (every shard it names must exist), else the single file.
     * Errors are one-line KunException(BACKEND)s naming the file.
     */
    public static PyTorchWeights open(Path dir) {
        return new PyTorchWeights(dir, open(dir, INDEX, SINGLE, PyTorchFile::open));
    }
}
