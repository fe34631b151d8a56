package dev.kun.cli;

import dev.kun.backend.Backends;
import dev.kun.error.KunException;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.EndpointSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    @Option(names = "--endpoint", paramLabel = "URL",
            description = "Base URL of an OpenAI-compatible server (vLLM, SGLang, TGI, llama.cpp, OpenAI), e.g. http://host:8000/v1;"
                    + " repeatable for a pool, each request going to the server with the fewest outstanding. The API key, if any,"
                    + " comes from KUN_API_KEY, else OPENAI_API_KEY.")
    List<String> endpoints = new ArrayList<>();

    @Option(names = "--endpoint-api", paramLabel = "completions|chat",
            description = "completions sends the exact prompt bytes to /v1/completions; chat sends the prompt as a user message to"
                    + " /v1/chat/completions, for servers that serve only chat (default: ${DEFAULT-VALUE}).")
    String endpointApi = EndpointSpec.COMPLETIONS;

    @Option(names = "--endpoint-model", paramLabel = "NAME",
            description = "The served model's name; without it, the first model the server lists at /v1/models (with a batch file: the --model path as given).")
    String endpointModel;

    @Option(names = "--server", paramLabel = "vllm|sglang|tgi|llamacpp|openai",
            description = "What serves --endpoint: every sampling field is sent in that server's spelling, so none falls back to the"
                    + " model's generation_config.json (default: ${DEFAULT-VALUE}).")
    String server = "vllm";

    @Option(names = "--tokenizer", paramLabel = "DIR",
            description = "The served model's Hugging Face tokenizer folder (or --model DIR): prompts are counted and a prompt over the"
                    + " context refused before it is sent. Without either, nothing is counted and the server's 400 decides.")
    Path tokenizer;

    @Option(names = "--endpoint-timeout", paramLabel = "SECONDS",
            description = "Longest wait for one answer, generation included (default: ${DEFAULT-VALUE}).")
    double requestTimeout = 600;

    @Option(names = "--endpoint-connect-timeout", paramLabel = "SECONDS",
            description = "Longest wait for a connection (default: ${DEFAULT-VALUE}).")
    double connectTimeout = 10;

    @Option(names = "--endpoint-patience", paramLabel = "SECONDS",
            description = "When requests keep failing and none has succeeded for this long, stop with exit 4 at the last"
                    + " checkpoint (rerun to resume) instead of rejecting records (default: ${DEFAULT-VALUE}).")
    double patience = 300;

    @Option(names = "--export-batch", paramLabel = "FILE",
            description = "Write the requests to FILE, an OpenAI batch input file (vllm run-batch, hosted batch APIs), instead of"
                    + " generating; each is counted as dropped_exported and nothing is written to -o for it.")
    Path exportBatch;

    @Option(names = "--import-batch", paramLabel = "FILE",
            description = "Read the generations from FILE, the batch output of an --export-batch file; a request without a result"
                    + " is the reject missing_from_batch, a failed one a reject with its error.")
    Path importBatch;

    /**
     * The backend these options ask for, every value checked without touching a device, a server or the
     * model (a bad one is a usage error naming its option).
     */
    public BackendSpec spec() {
        boolean remote = !endpoints.isEmpty() || exportBatch != null || importBatch != null;
        BackendSpec spec;
        if (!remote) {
            if (model == null) {
                throw KunException.usage("--model DIR is required (or --endpoint URL, --export-batch FILE, --import-batch FILE)");
            }
            if (tokenizer != null) {
                throw KunException.usage("--tokenizer goes with --endpoint or a batch file; the engine reads its checkpoint's");
            }
            if (endpointModel != null) throw KunException.usage("--endpoint-model goes with --endpoint or a batch file");
            spec = new BackendSpec(model, device.device(), devices, device.dtype(), batchSize, maxContext,
                    device.tokenizerSource());
        } else {
            if (!"auto".equals(device.device()) || devices != null || !"auto".equals(device.dtype())) {
                throw KunException.usage("--device, --devices and --dtype are for the in-process engine, not --endpoint or a batch file");
            }
            EndpointSpec endpoint = new EndpointSpec(endpoints, endpointApi, endpointModel, server,
                    tokenizer != null ? tokenizer : model, connectTimeout, requestTimeout, patience, exportBatch, importBatch);
            spec = new BackendSpec(model, device.device(), devices, device.dtype(), batchSize, maxContext,
                    device.tokenizerSource(), endpoint);
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
