package dev.kun.serve;

import dev.kun.error.KunException;
import java.time.Duration;

/**
 * How {@code kun serve} listens and what it admits.
 *
 * @param host            address to bind (127.0.0.1 unless the user opens it)
 * @param port            TCP port; 0 picks a free one
 * @param modelName       the model's name in the API: requests must name it, /v1/models lists it
 * @param apiKey          bearer token every /v1 request must carry, or null for none
 * @param maxBodyBytes    largest request body accepted; larger is a 413
 * @param slots           requests run on the engine at once (its decode slots, --batch-size)
 * @param maxQueue        requests that may wait for a slot; beyond it a 503 with Retry-After
 * @param shutdownTimeout how long a shutdown waits for requests in flight before cancelling them
 */
public record ServeConfig(String host, int port, String modelName, String apiKey, long maxBodyBytes, int slots, int maxQueue,
                          Duration shutdownTimeout) {

    public ServeConfig {
        if (port < 0 || port > 65535) throw KunException.usage("--port must be in [0, 65535]: " + port);
        if (modelName == null || modelName.isEmpty()) throw KunException.usage("--served-model-name must not be empty");
        if (apiKey != null && apiKey.isEmpty()) apiKey = null;
        if (maxBodyBytes < 1) throw KunException.usage("--max-body-bytes must be >= 1: " + maxBodyBytes);
        if (slots < 1) throw KunException.usage("--batch-size must be >= 1: " + slots);
        if (maxQueue < 0) throw KunException.usage("--max-queue must be >= 0: " + maxQueue);
        if (shutdownTimeout.isNegative()) throw KunException.usage("--shutdown-timeout must be >= 0: " + shutdownTimeout);
    }

    /** Loopback on a free port, no key, 1 MiB bodies, the given slots and queue, 30 s to drain: for tests. */
    public static ServeConfig loopback(String modelName, int slots, int maxQueue) {
        return new ServeConfig("127.0.0.1", 0, modelName, null, 1 << 20, slots, maxQueue, Duration.ofSeconds(30));
    }

    public ServeConfig withApiKey(String key) {
        return new ServeConfig(host, port, modelName, key, maxBodyBytes, slots, maxQueue, shutdownTimeout);
    }

    public ServeConfig withMaxBodyBytes(long bytes) {
        return new ServeConfig(host, port, modelName, apiKey, bytes, slots, maxQueue, shutdownTimeout);
    }

    public ServeConfig withShutdownTimeout(Duration timeout) {
        return new ServeConfig(host, port, modelName, apiKey, maxBodyBytes, slots, maxQueue, timeout);
    }
}
