package dev.kun.cli;

import dev.kun.generate.EndpointSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Where a model stage's requests go instead of the in-process engine: a pool of OpenAI-compatible
 * servers ({@code --endpoint}) and how to talk to them, or an OpenAI batch file to write or read back.
 * Mixed into {@link BackendOptions} (every model command) and {@code kun run}.
 */
public final class EndpointOptions {

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
     * The endpoint these options ask for, or null when none is (the in-process engine); {@code model},
     * the command's --model, lends its tokenizer when --tokenizer is not given.
     */
    EndpointSpec spec(Path model) {
        if (endpoints.isEmpty() && exportBatch == null && importBatch == null) return null;
        return new EndpointSpec(endpoints, endpointApi, endpointModel, server, tokenizer != null ? tokenizer : model,
                connectTimeout, requestTimeout, patience, exportBatch, importBatch);
    }
}
