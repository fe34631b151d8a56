package dev.kun.generate;

import java.nio.file.Path;

/**
 * Which model runs and where, as a command asked for it: the checkpoint folder, the device(s), the
 * precision, the decode slots and the context limit (0: the model's own, capped).
 */
public record BackendSpec(Path model, String device, String devices, String dtype, int batchSize, int maxContext) {

    /** The in-process engine on {@code model} with the defaults of {@code kun generate}. */
    public static BackendSpec of(Path model) {
        return new BackendSpec(model, "auto", null, "auto", 16, 0);
    }

    public BackendSpec withDevice(String device, String devices) {
        return new BackendSpec(model, device, devices, dtype, batchSize, maxContext);
    }

    public BackendSpec withDtype(String dtype) {
        return new BackendSpec(model, device, devices, dtype, batchSize, maxContext);
    }
}
