package dev.kun.serve;

import dev.kun.error.KunException;
import dev.kun.generate.TextGenerator;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.component.Graceful;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kun serve}'s HTTP server: the OpenAI-compatible API ({@link OpenAiHandler}) on Jetty, over one
 * generator. Every resource is bounded: request threads (one per running or queued request, plus a
 * reserve that answers refusals), open connections (and with them Jetty's job queue) and request bodies.
 *
 * <p>{@link #shutdown} is graceful: it stops accepting connections, answers new requests on open ones
 * with 503, lets those in flight finish (up to the timeout, then cancels them) and returns.
 */
public final class KunServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KunServer.class);
    /** Threads beyond the slots and the queue: they answer 503s, /health and /metrics while all else waits. */
    private static final int SPARE_THREADS = 16;

    private final Server server;
    private final ServerConnector connector;
    private final OpenAiHandler handler;
    private final DisconnectWatcher watcher;
    private final ServeConfig config;
    private final Slots slots;
    private final ServerMetrics metrics;
    private final ChatTemplate chat;

    private KunServer(TextGenerator generator, ChatTemplate chat, ServeConfig config) throws IOException {
        this.config = config;
        this.chat = chat;
        this.slots = new Slots(config.slots(), config.maxQueue());
        this.metrics = new ServerMetrics(slots);
        this.watcher = new DisconnectWatcher();
        int admitted = config.slots() + config.maxQueue();
        // Jetty's acceptor and selector take threads of the pool too (two here), besides the handlers.
        int maxThreads = admitted + SPARE_THREADS + 4;
        // Jetty's job queue stays unbounded as Jetty asks (a rejected selector job breaks connections):
        // it holds at most a job or two per connection, and connections are limited below.
        QueuedThreadPool pool = new QueuedThreadPool(maxThreads, Math.min(8, maxThreads), 60_000);
        pool.setName("kun-serve");
        this.server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        this.connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(config.host());
        connector.setPort(config.port());
        connector.setIdleTimeout(30_000);
        server.addConnector(connector);
        // Connections beyond this wait in the kernel's accept backlog rather than in memory here.
        server.addBean(new NetworkConnectionLimit(4 * admitted + SPARE_THREADS, connector));
        this.handler = new OpenAiHandler(generator, chat, config, slots, metrics, watcher);
        server.setHandler(new GracefulHandler(handler));
        // shutdown() waits for the requests in flight itself; stop() then finds them done.
        server.setStopTimeout(5_000);
        server.setStopAtShutdown(false); // the command's own hook stops it, then closes the engine
    }

    /** Starts serving {@code generator} as {@code config} says; the server is listening when this returns. */
    public static KunServer start(TextGenerator generator, ChatTemplate chat, ServeConfig config) {
        KunServer s;
        try {
            s = new KunServer(generator, chat, config);
        } catch (IOException e) {
            throw KunException.backend("cannot start the server: " + e.getMessage(), e);
        }
        try {
            s.server.start();
        } catch (Exception e) {
            s.watcher.close();
            try {
                s.server.stop();
            } catch (Exception ignored) {
                // the start failure is the one to report
            }
            throw KunException.usage("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage());
        }
        return s;
    }

    /** The port it listens on (the one chosen when the config asked for 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** The server's base address, such as {@code http://127.0.0.1:8000}. */
    public URI uri() {
        String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return URI.create("http://" + host + ":" + port());
    }

    /** Blocks until the server has stopped. */
    public void join() throws InterruptedException {
        server.join();
    }

    /** How chat requests become prompts. */
    public ChatTemplate chat() {
        return chat;
    }

    /** Clients that hung up before their answer, so far. */
    public long disconnects() {
        return metrics.disconnects();
    }

    /** The {@code /metrics} text. */
    public String metricsText() {
        return metrics.text();
    }

    /**
     * Stops gracefully: no new connections, 503 for new requests, those in flight finish; after the
     * config's shutdown timeout the rest are cancelled. Returns once the server has stopped; a second
     * caller (the signal hook and the command's own exit) waits for the first and returns.
     */
    public synchronized void shutdown() {
        if (server.isStopped()) return;
        handler.drain();
        long t0 = System.nanoTime();
        // Graceful: the connector stops accepting and GracefulHandler counts the requests in flight down.
        CompletableFuture<Void> drained = Graceful.shutdown(server);
        try {
            drained.get(config.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("requests still running after {} s: cancelling them", config.shutdownTimeout().toMillis() / 1000.0);
            handler.cancelAll();
            awaitQuietly(drained);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            handler.cancelAll();
        } catch (ExecutionException e) {
            log.warn("graceful shutdown", e.getCause());
        }
        try {
            server.stop(); // connections closed, threads stopped
        } catch (Exception e) {
            log.warn("stopping the server", e);
        } finally {
            watcher.close();
        }
        log.info("server stopped after {} s", String.format("%.1f", (System.nanoTime() - t0) / 1e9));
    }

    private static void awaitQuietly(CompletableFuture<Void> drained) {
        try {
            drained.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.debug("requests did not end after cancelling", e);
        }
    }

    /** {@link #shutdown}; the generator is the caller's to close. */
    @Override
    public void close() {
        shutdown();
    }

    /** The shutdown timeout this server was configured with. */
    public Duration shutdownTimeout() {
        return config.shutdownTimeout();
    }
}
