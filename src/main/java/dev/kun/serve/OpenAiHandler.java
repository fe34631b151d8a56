package dev.kun.serve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.generate.FinishReason;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.TextGenerator;
import dev.kun.record.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenAI-compatible API over one {@link TextGenerator}: {@code /v1/completions},
 * {@code /v1/chat/completions}, {@code /v1/models}, and {@code /health} and {@code /metrics} beside them.
 *
 * <p>Each request runs on its own Jetty thread, which blocks: it reads and checks the body, waits for a
 * decode slot ({@link Slots}), calls {@link TextGenerator#submit} and waits for the generation, streaming
 * its text as Server-Sent Events when asked. The engine's thread only appends text to the request's
 * {@link TextPieces} and never waits for a client. A client that hangs up (seen by the
 * {@link DisconnectWatcher}, or by a failed write) leaves the queue or has its generation cancelled,
 * which frees its slot.
 */
final class OpenAiHandler extends Handler.Abstract {
    private static final Logger log = LoggerFactory.getLogger(OpenAiHandler.class);
    /** OpenAI's default for the legacy completions endpoint when max_tokens is absent. */
    static final int COMPLETIONS_DEFAULT_MAX_TOKENS = 16;
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8);

    private final TextGenerator generator;
    private final ChatTemplate chat;
    private final ServeConfig config;
    private final Slots slots;
    private final ServerMetrics metrics;
    private final DisconnectWatcher watcher;
    private final long created = System.currentTimeMillis() / 1000;
    private final byte[] apiKey;
    /** Requests past admission, for a shutdown that runs out of time to cancel. */
    private final Set<Hangup> inFlight = ConcurrentHashMap.newKeySet();
    private volatile boolean draining;

    OpenAiHandler(TextGenerator generator, ChatTemplate chat, ServeConfig config, Slots slots, ServerMetrics metrics,
                  DisconnectWatcher watcher) {
        this.generator = generator;
        this.chat = chat;
        this.config = config;
        this.slots = slots;
        this.metrics = metrics;
        this.watcher = watcher;
        this.apiKey = config.apiKey() == null ? null : config.apiKey().getBytes(StandardCharsets.UTF_8);
    }

    /** From now on, new requests get a 503 and /health says so; those in flight go on. */
    void drain() {
        draining = true;
    }

    /** Cancels every request still in flight (a shutdown out of time). */
    void cancelAll() {
        for (Hangup h : inFlight) h.run();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        long start = System.nanoTime();
        String path = request.getHttpURI().getPath();
        int status;
        try {
            status = route(request, response, path, start);
            callback.succeeded();
        } catch (ApiError e) {
            status = e.status;
            // A 503 is the queue doing its job (counted in /metrics), not a fault to log.
            if (e.status >= 500 && e.status != 503) log.warn("{} {}: {}", request.getMethod(), path, e.getMessage());
            fail(response, callback, e);
        } catch (IOException e) {
            // ClientGone, or a read or write that failed because the client went away mid-request
            // (Jetty reports a body whose chunked framing is broken the same way: early EOF).
            status = 499; // nginx's "client closed request": nobody to answer
            metrics.disconnect();
            log.debug("{} {}: {}", request.getMethod(), path, e.toString());
            // Abort: close the connection without an error response, which nobody would read.
            callback.failed(new Request.Handler.AbortException(e.getMessage()));
        } catch (Exception e) {
            status = 500;
            log.warn("{} {} failed", request.getMethod(), path, e);
            fail(response, callback, ApiError.internal("internal error: " + e));
        }
        metrics.request(label(path), status, (System.nanoTime() - start) / 1e9);
        return true;
    }

    private int route(Request request, Response response, String path, long start) throws Exception {
        String method = request.getMethod();
        switch (path) {
            case "/health" -> {
                allow(method, path, "GET");
                ObjectNode body = Json.MAPPER.createObjectNode().put("status", draining ? "shutting_down" : "ok");
                return sendJson(response, draining ? 503 : 200, body);
            }
            case "/metrics" -> {
                allow(method, path, "GET");
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                write(response, true, metrics.text().getBytes(StandardCharsets.UTF_8));
                return 200;
            }
            default -> { }
        }
        if (!path.startsWith("/v1/")) throw ApiError.notFound(path);
        authorize(request);
        if (path.equals("/v1/models")) {
            allow(method, path, "GET");
            ObjectNode list = Json.MAPPER.createObjectNode().put("object", "list");
            list.putArray("data").add(model());
            return sendJson(response, 200, list);
        }
        if (path.startsWith("/v1/models/")) {
            allow(method, path, "GET");
            String id = path.substring("/v1/models/".length());
            if (!id.equals(config.modelName())) throw ApiError.modelNotFound(id, config.modelName());
            return sendJson(response, 200, model());
        }
        for (Endpoint endpoint : Endpoint.values()) {
            if (path.equals(endpoint.path)) {
                allow(method, path, "POST");
                return generate(endpoint, request, response, start);
            }
        }
        throw ApiError.notFound(path);
    }

    private ObjectNode model() {
        ObjectNode m = Json.MAPPER.createObjectNode();
        m.put("id", config.modelName());
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "kun");
        m.put("max_model_len", generator.contextLength());
        return m;
    }

    private static void allow(String method, String path, String allowed) {
        if (!method.equals(allowed)) throw ApiError.methodNotAllowed(method, path, allowed);
    }

    private void authorize(Request request) {
        if (apiKey == null) return;
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        byte[] given = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? header.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
        // Constant time, so the key cannot be guessed a byte at a time from response times.
        if (!MessageDigest.isEqual(given, apiKey)) throw ApiError.unauthorized();
    }

    /** A completion or chat request, from its body to its answer. */
    private int generate(Endpoint endpoint, Request request, Response response, long start) throws Exception {
        if (draining) throw ApiError.shuttingDown();
        ApiRequest req = ApiRequest.parse(endpoint, body(request));
        if (!req.model().equals(config.modelName())) throw ApiError.modelNotFound(req.model(), config.modelName());
        String prompt = endpoint == Endpoint.CHAT ? chat.render(req.messages()) : req.prompt();
        String where = endpoint == Endpoint.CHAT ? "messages" : "prompt";
        int context = generator.contextLength();
        int promptTokens = generator.countTokens(prompt);
        if (promptTokens == 0) throw ApiError.invalid(where, "the prompt is empty");
        if (promptTokens >= context) {
            throw ApiError.contextLength(where, "This model's maximum context length is " + context + " tokens. However,"
                    + " your " + where + " resulted in " + promptTokens + " tokens, which leaves no room for a completion."
                    + " Please reduce the length of the " + where + ".");
        }
        int budget;
        if (req.maxTokens() != null) {
            budget = req.maxTokens();
            if (promptTokens + budget > context) {
                throw ApiError.contextLength("max_tokens",
                        "This model's maximum context length is " + context + " tokens. However, you requested "
                        + (promptTokens + budget) + " tokens (" + promptTokens + " in the " + where + ", " + budget
                        + " in the completion). Please reduce the length of the " + where + " or completion.");
            }
        } else {
            int room = context - promptTokens;
            budget = endpoint == Endpoint.COMPLETIONS ? Math.min(COMPLETIONS_DEFAULT_MAX_TOKENS, room) : room;
        }
        long seed = req.seed() != null ? req.seed() : ThreadLocalRandom.current().nextLong();
        GenerationRequest job = new GenerationRequest(prompt, req.sampling(budget), seed);
        String id = endpoint.idPrefix + UUID.randomUUID().toString().replace("-", "");
        long createdAt = System.currentTimeMillis() / 1000;

        // A generation may outlast the connection's idle timeout without a byte either way; that is
        // not a dead client (the watcher and failed writes tell those), so the timeout is ignored.
        request.addIdleTimeoutListener(timeout -> false);
        Hangup hangup = new Hangup();
        inFlight.add(hangup);
        CompletableFuture<Generation> future = null;
        try (DisconnectWatcher.Watch watch = watcher.watch(transport(request), hangup);
                Slots.Ticket ticket = slots.enter()) {
            try {
                hangup.waiting(ticket);
                long queued = System.nanoTime();
                try {
                    ticket.await();
                } catch (CancellationException e) {
                    throw new ClientGone("left the queue");
                }
                metrics.queueWait((System.nanoTime() - queued) / 1e9);
                TextPieces pieces = req.stream() ? new TextPieces() : null;
                try {
                    future = generator.submit(job, pieces);
                } catch (RuntimeException e) {
                    throw ApiError.internal("the engine failed: " + e.getMessage());
                }
                hangup.running(future);
                if (pieces != null) {
                    future.whenComplete((g, e) -> pieces.end());
                    return stream(endpoint, req, response, id, createdAt, future, pieces, watch, start);
                }
                Generation g = result(future, hangup);
                watch.close(); // answered: from here a readable socket is the client's next request
                // A generator that cannot be cancelled (the default, synchronous submit) finishes for
                // a client that already left: count it as gone, as it is, and write nothing.
                if (hangup.gone) throw new ClientGone("left during the generation");
                check(g, where);
                metrics.tokens(g.promptTokens(), g.generatedTokens());
                return sendJson(response, 200, endpoint.result(id, createdAt, config.modelName(), g));
            } finally {
                // Whatever ended the exchange early (a failed write, an interrupt), the slot is freed
                // only after its generation stops.
                if (future != null && !future.isDone()) future.cancel(true);
            }
        } finally {
            inFlight.remove(hangup);
        }
    }

    /** The generation, once done; ClientGone when it was cancelled because the client left. */
    private static Generation result(CompletableFuture<Generation> future, Hangup hangup)
            throws InterruptedException, ClientGone {
        try {
            return future.get();
        } catch (CancellationException e) {
            throw new ClientGone("cancelled");
        } catch (ExecutionException e) {
            if (hangup.gone) throw new ClientGone("cancelled");
            throw ApiError.internal("the engine failed: " + e.getCause());
        }
    }

    /** A failed generation as the error it answers with. */
    private static void check(Generation g, String where) {
        if (!g.isFailure()) return;
        String reason = g.failure().reason();
        switch (reason) {
            case "prompt_too_long" -> throw ApiError.contextLength(where, g.failure().message());
            case "empty_prompt" -> throw ApiError.invalid(where, g.failure().message());
            default -> throw ApiError.internal(reason + ": " + g.failure().message());
        }
    }

    /**
     * Streams the generation as Server-Sent Events, one chunk per batch of text that arrived since the
     * last write, then the final chunk with the finish reason, the usage chunk if asked, and
     * {@code data: [DONE]}. Nothing is written before the first text, so a generation that fails before
     * any still gets its error status.
     */
    private int stream(Endpoint endpoint, ApiRequest req, Response response, String id, long createdAt,
                       CompletableFuture<Generation> future, TextPieces pieces, DisconnectWatcher.Watch watch, long start)
            throws Exception {
        String model = config.modelName();
        boolean first = true;
        StringBuilder sent = new StringBuilder();
        try {
            for (String text; (text = pieces.take()) != null; ) {
                if (first) {
                    metrics.firstToken((System.nanoTime() - start) / 1e9);
                    openStream(response, endpoint, id, createdAt, model, req.includeUsage());
                    first = false;
                }
                write(response, false, event(endpoint.chunk(id, createdAt, model, text, null, false, req.includeUsage())));
                sent.append(text);
            }
        } catch (IOException e) {
            future.cancel(true);
            throw new ClientGone("write failed: " + e.getMessage());
        }
        Generation g;
        try {
            g = future.join();
        } catch (CancellationException e) {
            throw new ClientGone("cancelled");
        } catch (CompletionException e) {
            if (first) throw ApiError.internal("the engine failed: " + e.getCause());
            writeStreamError(response, ApiError.internal("the engine failed: " + e.getCause()));
            return 200;
        }
        watch.close();
        if (g.isFailure()) {
            try {
                check(g, endpoint == Endpoint.CHAT ? "messages" : "prompt");
            } catch (ApiError e) {
                if (first) throw e;
                writeStreamError(response, e);
                return 200;
            }
        }
        metrics.tokens(g.promptTokens(), g.generatedTokens());
        try {
            if (first) openStream(response, endpoint, id, createdAt, model, req.includeUsage());
            // The generation's text is the reference: what the generator held back from onText (a
            // possible stop string that was not one, or all of it, from a generator that does not
            // stream) goes out before the finish, so the chunks always add up to the text.
            String text = g.text();
            if (text.length() > sent.length() && text.startsWith(sent.toString())) {
                String rest = text.substring(sent.length());
                write(response, false, event(endpoint.chunk(id, createdAt, model, rest, null, false, req.includeUsage())));
            } else if (!text.contentEquals(sent)) {
                log.debug("{}: streamed text is not a prefix of the generation's text", id);
            }
            write(response, false, event(endpoint.chunk(id, createdAt, model, "", g.finishReason(), false, req.includeUsage())));
            if (req.includeUsage()) write(response, false, event(endpoint.usageChunk(id, createdAt, model, g)));
            write(response, true, DONE);
        } catch (IOException e) {
            throw new ClientGone("write failed: " + e.getMessage());
        }
        return 200;
    }

    /** Status, headers and, for chat, the first chunk (the assistant role with empty content), as OpenAI opens a stream. */
    private void openStream(Response response, Endpoint endpoint, String id, long createdAt, String model, boolean usage)
            throws IOException {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        if (endpoint == Endpoint.CHAT) {
            write(response, false, event(endpoint.chunk(id, createdAt, model, "", null, true, usage)));
        }
    }

    private void writeStreamError(Response response, ApiError e) {
        log.warn("stream failed after its first chunk: {}", e.getMessage());
        try {
            write(response, false, event(e.body()));
            write(response, true, DONE);
        } catch (IOException io) {
            log.debug("client gone while writing a stream error", io);
        }
    }

    private static byte[] event(ObjectNode chunk) throws JsonProcessingException {
        byte[] json = Json.MAPPER.writeValueAsBytes(chunk);
        byte[] out = new byte[json.length + 8];
        System.arraycopy("data: ".getBytes(StandardCharsets.US_ASCII), 0, out, 0, 6);
        System.arraycopy(json, 0, out, 6, json.length);
        out[out.length - 2] = '\n';
        out[out.length - 1] = '\n';
        return out;
    }

    /** The request body as JSON, at most --max-body-bytes (413 beyond, checked before reading when declared). */
    private JsonNode body(Request request) throws IOException {
        long limit = config.maxBodyBytes();
        if (request.getLength() > limit) throw ApiError.tooLarge(limit);
        byte[] bytes;
        try (InputStream in = Request.asInputStream(request)) {
            bytes = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 16));
        }
        if (bytes.length > limit) throw ApiError.tooLarge(limit);
        if (bytes.length == 0) throw ApiError.invalid(null, "the request body is empty: send a JSON object");
        try {
            return Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiError.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static Object transport(Request request) {
        var connection = request.getConnectionMetaData().getConnection();
        return connection == null ? null : connection.getEndPoint().getTransport();
    }

    private int sendJson(Response response, int status, ObjectNode body) throws IOException {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        write(response, true, Json.MAPPER.writeValueAsBytes(body));
        return status;
    }

    /** Writes and waits until written: a client that stopped reading holds only its own thread. */
    private static void write(Response response, boolean last, byte[] bytes) throws IOException {
        try (Blocker.Callback blocker = Blocker.callback()) {
            response.write(last, ByteBuffer.wrap(bytes), blocker);
            blocker.block();
        }
    }

    /** Answers {@code error} (an SSE error event when the stream already began) and completes the exchange. */
    private void fail(Response response, Callback callback, ApiError error) {
        try {
            if (response.isCommitted()) {
                writeStreamError(response, error);
                callback.succeeded();
                return;
            }
            if (error.status == 503) {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
                if (draining) response.getHeaders().put(HttpHeader.CONNECTION, "close");
            }
            // The rest of a refused body is not read: close rather than skip it.
            if (error.status == 413) response.getHeaders().put(HttpHeader.CONNECTION, "close");
            if (error.allow != null) response.getHeaders().put(HttpHeader.ALLOW, error.allow);
            sendJson(response, error.status, error.body());
            callback.succeeded();
        } catch (IOException e) {
            callback.failed(e);
        }
    }

    private static String label(String path) {
        return switch (path) {
            case "/v1/completions", "/v1/chat/completions", "/v1/models", "/health", "/metrics" -> path;
            default -> path.startsWith("/v1/models/") ? "/v1/models/{id}" : "other";
        };
    }

    /** The client hung up: the request ends with nothing written. */
    static final class ClientGone extends IOException {
        ClientGone(String why) {
            super("client disconnected: " + why);
        }
    }

    /**
     * What a hang-up undoes, whenever it comes: the place in the queue, or the running generation. Runs
     * on the watcher's thread; the request's thread registers what it holds as it goes.
     */
    private static final class Hangup implements Runnable {
        volatile boolean gone;
        private volatile Slots.Ticket ticket;
        private volatile CompletableFuture<Generation> future;

        void waiting(Slots.Ticket t) {
            ticket = t;
            if (gone) t.leave();
        }

        void running(CompletableFuture<Generation> f) {
            future = f;
            if (gone) f.cancel(true);
        }

        @Override
        public void run() {
            gone = true;
            Slots.Ticket t = ticket;
            if (t != null) t.leave();
            CompletableFuture<Generation> f = future;
            if (f != null) f.cancel(true);
        }
    }

    /**
     * The text of one streamed generation as the engine hands it over: the engine appends and never
     * waits; the request's thread takes everything that arrived since its last write, so a slow client
     * gets fewer, larger chunks instead of holding the engine back.
     */
    static final class TextPieces implements Consumer<String> {
        private final StringBuilder pending = new StringBuilder();
        private boolean ended;

        @Override
        public synchronized void accept(String text) {
            pending.append(text);
            notifyAll();
        }

        synchronized void end() {
            ended = true;
            notifyAll();
        }

        /** Text that arrived since the last call (blocking until some does), or null once the generation ended. */
        synchronized String take() throws InterruptedException {
            while (pending.length() == 0 && !ended) wait();
            if (pending.length() == 0) return null;
            String text = pending.toString();
            pending.setLength(0);
            return text;
        }
    }
}
