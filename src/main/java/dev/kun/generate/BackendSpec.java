package dev.kun.generate;

import java.nio.file.Path;

/**
 * Which model runs and where, as a command asked for it: the checkpoint folder (or a Hugging Face
 * repository id found in the local cache), the device(s), the precision, the decode slots, the
 * context limit (0: the model's own, capped) and which tokenizer file to run ({@code auto},
 * {@code tokenizer.json}, {@code sentencepiece}).
 */
public record BackendSpec(Path model, String device, String devices, String dtype, int batchSize, int maxContext,
        String tokenizerSource) {

    /** The in-process engine on {@code model} with the defaults of {@code kun generate}. */
    public static BackendSpec of(Path model) {
        return new BackendSpec(model, "auto", null, "auto", 16, 0, "auto");
    }

    public BackendSpec withDevice(String device, String devices) {
        return new BackendSpec(model, device, devices, dtype, batchSize, maxContext, tokenizerSource);
    }

    public BackendSpec withDtype(String dtype) {
        return new BackendSpec(model, device, devices, dtype, batchSize, maxContext, tokenizerSource);
    }

    public BackendSpec withTokenizerSource(String source) {
        return new BackendSpec(model, device, devices, dtype, batchSize, maxContext, source);
    }
}
