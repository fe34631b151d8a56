package dev.kun.model;

import dev.kun.model.checkpoint.HubCache;
import dev.kun.model.checkpoint.PyTorchWeights;
import dev.kun.model.checkpoint.RenamedWeights;
import dev.kun.model.checkpoint.WeightSource;
import dev.kun.model.checkpoint.TensorInfo;
import dev.kun.model.checkpoint.SafetensorsWeights;
import dev.kun.model.checkpoint.GenerationConfig;
import dev.kun.model.checkpoint.SafetensorsFile;
import dev.kun.model.llama.LlamaConfig;
import dev.kun.model.tokenizer.EngineTokenizer;
import dev.kun.model.tokenizer.TokenizerSource;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A Hugging Face checkpoint directory, validated and opened: config.json as a {@link LlamaConfig},
 * the optional generation_config.json, the tokenizer (tokenizer.json, or SentencePiece's
 * tokenizer.model, see {@link TokenizerSource}) and the weights as a {@link WeightSource} (read lazily,
 * tensor by tensor): safetensors, or PyTorch .bin when there are no safetensors, under Llama's tensor
 * names whatever names were stored (Yi's first release). The directory may be named as a Hugging Face
 * repository, {@code ORG/NAME[@REV]}, found in the local hub cache ({@link HubCache}).
 *
 * <p>Every problem is a one-line KunException with exit code {@link ExitCodes#BACKEND} (4, "model
 * or backend failure") naming the file: the model directory is a resource the run depends on, not a
 * record of the input data (exit 3 is kept for file:line errors in the data).
 */
public final class Checkpoint implements AutoCloseable {
    private final Path dir;
    private final LlamaConfig config;
    private final GenerationConfig generation;
    private final EngineTokenizer tokenizer;
    private final WeightSource weights;

    private Checkpoint(Path dir, LlamaConfig config, GenerationConfig generation, EngineTokenizer tokenizer,
            WeightSource weights) {
        this.dir = dir;
        this.config = config;
        this.generation = generation;
        this.tokenizer = tokenizer;
        this.weights = weights;
    }

    /** {@link #open(Path, TokenizerSource)} with the tokenizer chosen automatically. */
    public static Checkpoint open(Path model) {
        return open(model, TokenizerSource.AUTO);
    }

    /**
     * Validates and opens {@code model} (a directory, or a repository in the hub cache): config.json
     * (a supported model_type), the tokenizer {@code source} names, and the weights must exist, and
     * every tensor the config implies must be present with its shape.
     */
    public static Checkpoint open(Path model, TokenizerSource source) {
        Path dir = HubCache.resolve(model);
        LlamaConfig config = LlamaConfig.read(dir);
        GenerationConfig generation = GenerationConfig.read(dir);
        WeightSource weights = RenamedWeights.of(openWeights(dir), LlamaConfig::canonicalTensorName, dir);
        EngineTokenizer tokenizer = null;
        try {
            checkTensors(config, weights, dir);
            tokenizer = source.open(dir);
            if (tokenizer.vocabSize() > config.vocabSize()) {
                throw new KunException(ExitCodes.BACKEND, dir + ": " + tokenizer.file().getFileName() + " has " + tokenizer.vocabSize()
                        + " tokens but config.json vocab_size is " + config.vocabSize());
            }
            return new Checkpoint(dir, config, generation, tokenizer, weights);
        } catch (RuntimeException e) {
            weights.close();
            if (tokenizer != null) tokenizer.close();
            throw e;
        }
    }

    /** Header-only check, so a config/weights mismatch fails before any tensor is read. */
    private static void checkTensors(LlamaConfig config, WeightSource weights, Path dir) {
        for (Map.Entry<String, long[]> e : config.expectedTensors().entrySet()) {
            if (!weights.names().contains(e.getKey())) {
                String hint = e.getKey().equals("lm_head.weight") ? " (config.json says tie_word_embeddings is false)" : "";
                throw new KunException(ExitCodes.BACKEND, "tensor " + e.getKey() + " is missing from the weights in " + dir + hint);
            }
            TensorInfo info = weights.info(e.getKey());
            if (!Arrays.equals(info.shape(), e.getValue())) {
                throw new KunException(ExitCodes.BACKEND, "tensor " + e.getKey() + " in " + dir + " has shape "
                        + Arrays.toString(info.shape()) + " but config.json implies " + Arrays.toString(e.getValue()));
            }
            if (SafetensorsFile.elementBytes(info.dtype()) < 0) {
                throw new KunException(ExitCodes.BACKEND, "tensor " + e.getKey() + " in " + dir + " has dtype " + info.dtype()
                        + " (supported: F32, F16, BF16)");
            }
        }
    }

    /**
     * The weights in {@code dir}: safetensors when present (they win over .bin files beside them),
     * else PyTorch's .bin; else a one-line error that names the layouts kun reads and the weight-like
     * files it found instead.
     */
    private static WeightSource openWeights(Path dir) {
        if (SafetensorsWeights.present(dir)) return SafetensorsWeights.open(dir);
        if (PyTorchWeights.present(dir)) return PyTorchWeights.open(dir);
        List<String> found = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir,
                "*.{bin,pt,pth,ckpt,safetensors,gguf,ggml,h5,msgpack,npz}")) {
            for (Path p : s) found.add(p.getFileName().toString());
        } catch (IOException e) {
            // Listing is only for the message.
        }
        Collections.sort(found);
        String foundText = found.isEmpty() ? "" : "; found " + String.join(", ", found.subList(0, Math.min(found.size(), 4)))
                + (found.size() > 4 ? " and " + (found.size() - 4) + " more" : "");
        throw new KunException(ExitCodes.BACKEND, "no weights in " + dir + " (expected " + SafetensorsWeights.SINGLE + ", "
                + SafetensorsWeights.INDEX + ", " + PyTorchWeights.SINGLE + " or " + PyTorchWeights.INDEX + foundText + ")");
    }

    public Path dir() {
        return dir;
    }

    public LlamaConfig config() {
        return config;
    }

    public GenerationConfig generation() {
        return generation;
    }

    public EngineTokenizer tokenizer() {
        return tokenizer;
    }

    public WeightSource weights() {
        return weights;
    }

    /**
     * Ids that end a generation: generation_config.json's {@code eos_token_id} when present, else the
     * tokenizer's resolution (config.json, then tokenizer_config.json).
     */
    public java.util.List<Integer> eosTokenIds() {
        return generation.eosTokenIds().isEmpty() ? tokenizer.eosTokenIds() : generation.eosTokenIds();
    }

    @Override
    public void close() {
        weights.close();
        tokenizer.close();
    }
}
