package dev.kun.cli;

import dev.kun.backend.Backends;
import dev.kun.generate.BackendSpec;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * Which model runs and where: shared by every command that generates or scores ({@code generate},
 * {@code label}, {@code polish}, {@code seed --ppl-model} takes its own path).
 */
public final class BackendOptions {

    @Option(names = "--model", paramLabel = "DIR", required = true,
            description = "Hugging Face checkpoint directory: config.json, tokenizer.json and *.safetensors (llama/Yi, mistral, qwen2).")
    Path model;

    @Option(names = "--device", paramLabel = "cpu|cuda|cuda:N|auto",
            description = "Where the model runs; auto takes the first GPU when one is visible, else the CPU (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Option(names = "--devices", paramLabel = "N,N,...",
            description = "CUDA ordinals to split the model's layers over, in order (pipeline by layers), for a model larger than one GPU.")
    String devices;

    @Option(names = "--dtype", paramLabel = "auto|f32|f16|bf16",
            description = "Precision on the device: auto is f32 on the CPU and f16 on CUDA; bf16 weights are widened to f32 on the CPU and narrowed to f16 on CUDA (default: ${DEFAULT-VALUE}).")
    String dtype = "auto";

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
        BackendSpec spec = new BackendSpec(model, device, devices, dtype, batchSize, maxContext);
        Backends.validate(spec);
        return spec;
    }

    public Path model() {
        return model;
    }

    public String device() {
        return device;
    }

    public String devices() {
        return devices;
    }

    public String dtype() {
        return dtype;
    }

    public int batchSize() {
        return batchSize;
    }

    public int maxContext() {
        return maxContext;
    }
}
