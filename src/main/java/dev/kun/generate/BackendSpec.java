package dev.kun.generate;

import java.nio.file.Path;

/**
 * Which model runs and where, as a command asked for it: the checkpoint folder (or a Hugging Face
 * repository id found in the local cache), the device(s), the precision, the decode slots, the
 * context limit (0: the model's own, capped) and which tokenizer file to run ({@code auto},
 * {@code tokenizer.json}, {@code sentencepiece}); or, with {@code endpoint}, a pool of
 * OpenAI-compatible servers (or a batch file) instead of the in-process engine. With an endpoint,
 * {@code batchSize} is the requests in flight per server and {@code model}, when given, lends only its
 * tokenizer.
 */
public record BackendSpec(Path model, String device, String devices, String dtype, int batchSize, int maxContext,
        String tokenizerSource, EndpointSpec endpoint) {

    /** The in-process engine. */
    public BackendSpec(Path model, String device, String devices, String dtype, int batchSize, int maxContext,
            String tokenizerSource) {
        this(model, device, devices, dtype, batchSize, maxContext, tokenizerSource, null);
    }

    /** The in-process engine on {@code model} with the defaults of {@code kun generate}. */
    public static BackendSpec of(Path model) {
        return new BackendSpec(model, "auto", null, "auto", 16, 0, "auto");
    }

    public BackendSpec withDevice(String device, String devices) {
        return new BackendSpec(model, device, devices, dtype, batchSize, maxContext, tokenizerSource, endpoint);
    }

    public BackendSpec withDtype(String dtype) {
        return new BackendSpec(model, device, devices, dtype, batchSize, maxContext, tokenizerSource, endpoint);
    }

    public BackendSpec withTokenizerSource(String source) {
        return new BackendSpec(model, device, devices, dtype, batchSize, maxContext, source, endpoint);
    }

    public BackendSpec withEndpoint(EndpointSpec endpoint) {
        return new BackendSpec(model, device, devices, dtype, batchSize, maxContext, tokenizerSource, endpoint);
    }

    /**
     * The model as logs and reports name it: the checkpoint path, or the servers (or batch file) of an
     * endpoint.
     */
    public String describe() {
        if (endpoint == null) return String.valueOf(model);
        if (endpoint.exportBatch() != null) return "export to " + endpoint.exportBatch();
        if (endpoint.importBatch() != null) return "import from " + endpoint.importBatch();
        return String.join(" ", endpoint.urls());
    }

    /**
     * The folder of the model's own files (tokenizer, tokenizer_config.json's chat template): the
     * checkpoint, or beside an endpoint the tokenizer folder; null when there is neither.
     */
    public Path modelFiles() {
        if (model != null) return model;
        return endpoint == null ? null : endpoint.tokenizer();
    }

    /**
     * Sequences the backend works on at once: the engine's decode slots, or the requests in flight over
     * the whole pool of servers. A stage that hands over a few times this many records per batch keeps
     * every slot busy while sequences finish.
     */
    public int slots() {
        return endpoint == null || endpoint.urls().isEmpty() ? batchSize : batchSize * endpoint.urls().size();
    }
}
