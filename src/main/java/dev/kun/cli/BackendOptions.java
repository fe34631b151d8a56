package dev.kun.cli;

import dev.kun.backend.Backends;
import dev.kun.error.KunException;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.EndpointSpec;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Which model runs and where: shared by every command that generates or scores ({@code generate},
 * {@code label}, {@code judge}, {@code polish}); {@code seed --ppl-model} takes its own path and mixes in
 * {@link DeviceOptions} alone. The model
 * runs in-process ({@code --model DIR}) or on OpenAI-compatible servers ({@code --endpoint URL}), or its
 * requests go to an OpenAI batch file and come back from one ({@code --export-batch},
 * {@code --import-batch}).
 */
public final class BackendOptions {

    @Option(names = "--model", paramLabel = "DIR",
            description = "Hugging Face checkpoint (llama/Yi, mistral, qwen2): a directory with config.json, tokenizer.json"
                    + " or tokenizer.model, and *.safetensors or pytorch_model*.bin; or ORG/NAME[@REV] from the Hugging Face cache."
                    + " Required unless --endpoint, --export-batch or --import-batch; beside those it lends only its tokenizer.")
    Path model;

    @Mixin DeviceOptions device;

    @Option(names = "--devices", paramLabel = "N,N,...",
            description = "CUDA ordinals to split the model's layers over, in order (pipeline by layers), for a model larger than one GPU.")
    String devices;

    @Option(names = "--batch-size", paramLabel = "N",
            description = "Sequences decoded together; a finished one is replaced from the queue at once. With --endpoint: requests in flight per server (default: ${DEFAULT-VALUE}).")
    int batchSize = 16;

    @Option(names = "--max-context", paramLabel = "N",
            description = "Longest prompt plus generation in tokens; 0 takes the model's max_position_embeddings (with --endpoint: the"
                    + " server's max_model_len where /v1/models reports it) (default: ${DEFAULT-VALUE}).")
    int maxContext = 0;

    @Mixin EndpointOptions endpoint;

    /**
     * The backend these options ask for, every value checked without touching a device, a server or the
     * model (a bad one is a usage error naming its option).
     */
    public BackendSpec spec() {
        EndpointSpec remote = endpoint.spec(model);
        BackendSpec spec;
        if (remote == null) {
            if (model == null) {
                throw KunException.usage("--model DIR is required (or --endpoint URL, --export-batch FILE, --import-batch FILE)");
            }
            if (endpoint.tokenizer != null) {
                throw KunException.usage("--tokenizer goes with --endpoint or a batch file; the engine reads its checkpoint's");
            }
            if (endpoint.endpointModel != null) throw KunException.usage("--endpoint-model goes with --endpoint or a batch file");
            spec = new BackendSpec(model, device.device(), devices, device.dtype(), batchSize, maxContext,
                    device.tokenizerSource());
        } else {
            if (!"auto".equals(device.device()) || devices != null || !"auto".equals(device.dtype())) {
                throw KunException.usage("--device, --devices and --dtype are for the in-process engine, not --endpoint or a batch file");
            }
            spec = new BackendSpec(model, device.device(), devices, device.dtype(), batchSize, maxContext,
                    device.tokenizerSource(), remote);
        }
        Backends.validate(spec);
        return spec;
    }

    /** A model's name in provenance: its directory's name (the path would say where, not what). */
    public static String modelName(Path model) {
        Path name = model.toAbsolutePath().normalize().getFileName();
        return name == null ? model.toString() : name.toString();
    }

    /**
     * The model's name in provenance for a run of {@code spec}: {@code servedModel} (the name a server
     * serves it under, {@link dev.kun.generate.TextGenerator#servedModel}) when there is one, else the
     * checkpoint folder's name.
     */
    public static String modelName(BackendSpec spec, String servedModel) {
        if (servedModel != null) return servedModel;
        return spec.model() == null ? null : modelName(spec.model());
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
