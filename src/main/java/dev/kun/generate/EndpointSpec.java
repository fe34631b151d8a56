package dev.kun.generate;

import java.nio.file.Path;
import java.util.List;

/**
 * A model behind the OpenAI-compatible API instead of in-process, as a command asked for it: the base
 * URLs of a pool of servers ({@code --endpoint}, e.g. {@code http://host:8000/v1}), or an offline batch
 * file to write ({@code --export-batch}) or read back ({@code --import-batch}) instead of any server.
 *
 * @param urls base URLs, one per server of the pool; empty for a batch file
 * @param api {@code completions} (the exact prompt bytes) or {@code chat} (messages, for chat-only servers)
 * @param model the served model name ({@code --endpoint-model}); null: the first of {@code /v1/models}
 * @param server the server profile: vllm, sglang, tgi, llamacpp or openai
 * @param tokenizer a Hugging Face tokenizer folder to count prompt tokens with, or null to count none
 * @param connectTimeoutSeconds how long a connection may take to open
 * @param requestTimeoutSeconds how long one request may take, generation included
 * @param patienceSeconds how long no request may succeed before the stage stops (exit 4)
 * @param exportBatch write the requests to this OpenAI batch input file instead of sending them, or null
 * @param importBatch read the generations from this OpenAI batch output file, or null
 */
public record EndpointSpec(
        List<String> urls,
        String api,
        String model,
        String server,
        Path tokenizer,
        double connectTimeoutSeconds,
        double requestTimeoutSeconds,
        double patienceSeconds,
        Path exportBatch,
        Path importBatch) {

    public static final String COMPLETIONS = "completions";
    public static final String CHAT = "chat";

    public EndpointSpec {
        urls = List.copyOf(urls);
    }

    /** The servers at {@code urls} with the defaults of the command line (vLLM, completions, no tokenizer). */
    public static EndpointSpec of(List<String> urls) {
        return new EndpointSpec(urls, COMPLETIONS, null, "vllm", null, 10, 600, 300, null, null);
    }

    public EndpointSpec withModel(String model) {
        return new EndpointSpec(urls, api, model, server, tokenizer, connectTimeoutSeconds, requestTimeoutSeconds,
                patienceSeconds, exportBatch, importBatch);
    }

    public EndpointSpec withServer(String server, String api) {
        return new EndpointSpec(urls, api, model, server, tokenizer, connectTimeoutSeconds, requestTimeoutSeconds,
                patienceSeconds, exportBatch, importBatch);
    }

    public EndpointSpec withTokenizer(Path tokenizer) {
        return new EndpointSpec(urls, api, model, server, tokenizer, connectTimeoutSeconds, requestTimeoutSeconds,
                patienceSeconds, exportBatch, importBatch);
    }

    public EndpointSpec withTimeouts(double connectSeconds, double requestSeconds, double patience) {
        return new EndpointSpec(urls, api, model, server, tokenizer, connectSeconds, requestSeconds, patience,
                exportBatch, importBatch);
    }

    public EndpointSpec withBatchFiles(Path export, Path imported) {
        return new EndpointSpec(urls, api, model, server, tokenizer, connectTimeoutSeconds, requestTimeoutSeconds,
                patienceSeconds, export, imported);
    }

    /** True when requests go to servers, not to a batch file. */
    public boolean online() {
        return exportBatch == null && importBatch == null;
    }
}
