package dev.kun.cli;

import picocli.CommandLine.Option;

/**
 * Where a model runs, at which precision, and which of its tokenizer files ({@code --device},
 * {@code --dtype}, {@code --tokenizer-source}): mixed into every command that loads one, through
 * {@link BackendOptions} or, for {@code seed --ppl-model}, directly.
 */
public final class DeviceOptions {

    @Option(names = "--device", paramLabel = "cpu|cuda|cuda:N|auto",
            description = "Where the model runs; auto takes the first GPU when one is visible, else the CPU (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Option(names = "--dtype", paramLabel = "auto|f32|f16|bf16",
            description = "Precision on the device: auto is f32 on the CPU and f16 on CUDA; bf16 weights are widened to f32 on the CPU and narrowed to f16 on CUDA (default: ${DEFAULT-VALUE}).")
    String dtype = "auto";

    @Option(names = "--tokenizer-source", paramLabel = "auto|tokenizer.json|sentencepiece",
            description = "Which tokenizer file of the model to run: auto takes tokenizer.json when present, else SentencePiece's"
                    + " tokenizer.model; sentencepiece runs tokenizer.model even beside a tokenizer.json (default: ${DEFAULT-VALUE}).")
    String tokenizerSource = "auto";

    public String tokenizerSource() {
        return tokenizerSource;
    }

    public String device() {
        return device;
    }

    public String dtype() {
        return dtype;
    }
}
