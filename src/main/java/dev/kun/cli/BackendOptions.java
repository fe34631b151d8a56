package dev.kun.cli;

import dev.kun.backend.Backends;
import dev.kun.generate.BackendSpec;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Which model runs and where: shared by every command that generates or scores ({@code generate},
 * {@code label}, {@code polish}); {@code seed --ppl-model} takes its own path and mixes in
 * {@link DeviceOptions} alone.
 */
public final class BackendOptions {

    @Option(names = "--model", paramLabel = "DIR", required = true,
            description = "Hugging Face checkpoint (llama/Yi, mistral, qwen2): a directory with config.json, tokenizer.json"
                    + " or tokenizer.model, and *.safetensors or pytorch_model*.bin; or ORG/NAME[@REV] from the Hugging Face cache.")
    Path model;

    @Mixin DeviceOptions device;

    @Option(names = "--devices", paramLabel = "N,N,...",
            description = "CUDA ordinals to split the model's layers over, in order (pipeline by layers), for a model larger than one GPU.")
    String devices;

    @Option(names = "--batch-size", paramLabel = "N",
            description = "Sequences decoded together; a finished one is replaced from the queue at once (default: ${DEFAULT-VALUE}).")
    int batchSize = 16;

    @Option(names = "--max-context", paramLabel = "N",
            description = "Longest prompt plus generation in tokens; 0 takes the model's max_position_embeddings (default: ${DEFAULT-VALUE}).")
    int maxContext = 0;

    /**
     * The backend these options ask for, every value checked without touching a device or the model (a
     * bad one is a usage error naming its option).
     */
    public BackendSpec spec() {
        BackendSpec spec = new BackendSpec(model, device.device(), devices, device.dtype(), batchSize, maxContext,
                device.tokenizerSource());
        Backends.validate(spec);
        return spec;
    }

    /** A model's name in provenance: its directory's name (the path would say where, not what). */
    public static String modelName(Path model) {
        Path name = model.toAbsolutePath().normalize().getFileName();
        return name == null ? model.toString() : name.toString();
    }

    public Path model() {
        return model;
    }

    public String device() {
        return device.device();
    }

    public String devices() {
        return devices;
    }

    public String dtype() {
        return device.dtype();
    }

    public int batchSize() {
        return batchSize;
    }

    public int maxContext() {
        return maxContext;
    }
}
