package dev.kun.cli;

import dev.kun.backend.Backends;
import dev.kun.error.KunException;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.TextGenerator;
import dev.kun.serve.ChatTemplate;
import dev.kun.serve.KunServer;
import dev.kun.serve.ServeConfig;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code kun serve}: the in-process engine behind an OpenAI-compatible HTTP API, until SIGTERM or
 * SIGINT, which stop it gracefully (no new connections, requests in flight finish, then exit).
 */
@Command(
        name = "serve",
        mixinStandardHelpOptions = true,
        description = {
            "Serve a model over an OpenAI-compatible HTTP API: /v1/completions, /v1/chat/completions (the model's"
                    + " chat template), /v1/models, /health and /metrics (Prometheus). Concurrent requests share the"
                    + " engine's --batch-size decode slots; up to --max-queue more wait, beyond that a 503.",
            "Binds 127.0.0.1 unless --host says otherwise. SIGTERM stops accepting, lets requests in flight finish"
                    + " (up to --shutdown-timeout) and exits."
        })
public final class ServeCommand implements Callable<Integer> {

    @Mixin BackendOptions backend;

    @Option(names = "--host", paramLabel = "ADDR",
            description = "Address to listen on; 0.0.0.0 opens it to the network (default: ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = "--port", paramLabel = "N", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port = 8000;

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:KUN_API_KEY}",
            description = "Require 'Authorization: Bearer KEY' on every /v1 request. Prefer the environment variable"
                    + " KUN_API_KEY, which is the default: a key on the command line shows in the process list.")
    String apiKey;

    @Option(names = "--served-model-name", paramLabel = "NAME",
            description = "The model's name in the API, which requests must give (default: the --model folder's name).")
    String servedModelName;

    @Option(names = "--max-queue", paramLabel = "N",
            description = "Requests that may wait for a decode slot; more get 503 with Retry-After (default: ${DEFAULT-VALUE}).")
    int maxQueue = 64;

    @Option(names = "--max-body-bytes", paramLabel = "N",
            description = "Largest request body; larger gets 413 (default: ${DEFAULT-VALUE}).")
    long maxBodyBytes = 1 << 20;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS",
            description = "On SIGTERM, how long requests in flight may run before they are cancelled (default: ${DEFAULT-VALUE}).")
    long shutdownTimeout = 120;

    private final Function<BackendSpec, TextGenerator> opener;
    private final Consumer<KunServer> started;

    public ServeCommand() {
        this(Backends::openGenerator, server -> { });
    }

    /** A command whose backend comes from {@code opener}, telling {@code started} once it listens (tests). */
    ServeCommand(Function<BackendSpec, TextGenerator> opener, Consumer<KunServer> started) {
        this.opener = opener;
        this.started = started;
    }

    /** The server settings these options ask for. */
    ServeConfig config(BackendSpec spec) {
        String name = servedModelName != null ? servedModelName
                : spec.model().toAbsolutePath().normalize().getFileName().toString();
        return new ServeConfig(host, port, name, apiKey, maxBodyBytes, spec.batchSize(), maxQueue,
                Duration.ofSeconds(shutdownTimeout));
    }

    @Override
    public Integer call() throws InterruptedException {
        BackendSpec spec = backend.spec();
        if (spec.endpoint() != null) {
            throw KunException.usage("kun serve serves the in-process engine: --endpoint, --export-batch and --import-batch"
                    + " are for the model stages");
        }
        ServeConfig config = config(spec);
        TextGenerator generator = opener.apply(spec);
        KunServer server;
        try {
            ChatTemplate chat = ChatTemplate.of(spec.model());
            server = KunServer.start(generator, chat, config);
        } catch (RuntimeException e) {
            generator.close();
            throw e;
        }
        // SIGTERM or SIGINT: the hook drains the server, which ends join() below; the JVM halts when the
        // hook returns, so the hook waits until this thread has closed the engine too.
        CountDownLatch closed = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            server.shutdown();
            try {
                closed.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "kun-serve-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.println("kun serve: listening on " + server.uri() + " (model '" + config.modelName() + "', "
                + config.slots() + " slots, queue " + config.maxQueue() + (config.apiKey() != null ? ", API key required" : "")
                + "; chat: " + server.chat().describe() + ")");
        try {
            started.accept(server);
            server.join();
        } finally {
            server.shutdown();
            generator.close();
            System.err.println("kun serve: stopped");
            closed.countDown(); // after a signal the JVM may halt from here on
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook is running
            }
        }
        return 0;
    }
}
