package dev.kun.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kun.record.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-compatible server on loopback for tests (the JDK's own HTTP server): /v1/models lists one
 * model; /v1/completions and /v1/chat/completions answer as {@link FakeGenerator} does, the text being
 * {@code prompt|seed|temperature} cut to max_tokens code points (one "token" each). Every request is
 * recorded with its headers; {@link #faults} decides per request whether it fails instead (a status,
 * a dropped connection, a stall), and the server can go down (connections refused) and come back on
 * the same port.
 */
public final class FakeOpenAiServer implements AutoCloseable {
    static {
        // As real servers do: else each answer's body waits ~40 ms for the client's delayed ACK.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    /** What one request gets instead of its answer, or null for the answer. */
    public sealed interface Fault {}

    /** An HTTP error with this body, and a Retry-After header when {@code retryAfter} is not null. */
    public record Status(int code, String body, String retryAfter) implements Fault {}

    /** The connection is closed without an answer. */
    public record Drop() implements Fault {}

    /** The answer comes after {@code millis}. */
    public record Stall(long millis) implements Fault {}

    /** Chooses a request's fault from its body and its number among the tries of the same prompt (1 = first). */
    public interface Faults {
        Fault choose(JsonNode body, int attempt);
    }

    /** One request as it arrived. */
    public record Seen(String method, String path, String protocol, Map<String, List<String>> headers, JsonNode body,
            int remotePort) {
        public String header(String name) {
            for (var e : headers.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name)) return e.getValue().get(0);
            }
            return null;
        }
    }

    public final List<Seen> seen = Collections.synchronizedList(new ArrayList<>());
    public final AtomicInteger answered = new AtomicInteger();
    public final AtomicInteger inFlight = new AtomicInteger();
    public final AtomicInteger maxInFlight = new AtomicInteger();
    public volatile Faults faults = (body, attempt) -> null;
    /** The text a request gets, from its prompt (or its one message's content); null: the FakeGenerator echo. */
    public volatile java.util.function.UnaryOperator<String> texts;
    /** Added to every answer: a server that takes this long to generate. */
    public volatile long latencyMillis;
    /** Listed by /v1/models; the context it reports there when above 0. */
    public volatile String model = "fake-model";
    public volatile int maxModelLen;
    /** When above 0: the server goes down after answering this many requests. */
    public volatile int downAfter;
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-openai");
        t.setDaemon(true);
        return t;
    });
    private final int port;
    private HttpServer server;

    private FakeOpenAiServer(int port) throws IOException {
        this.port = port;
        up();
    }

    /** A server on a free loopback port. */
    public static FakeOpenAiServer start() throws IOException {
        return new FakeOpenAiServer(0);
    }

    /** The base URL, ending in /v1. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops listening: new connections are refused. */
    public synchronized void down() {
        if (server != null) server.stop(0);
    }

    /** Listens again on the same port. */
    public synchronized void up() throws IOException {
        int p = server == null ? port : server.getAddress().getPort();
        IOException last = null;
        for (int tries = 0; tries < 50; tries++) {
            try {
                HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), p), 256);
                s.setExecutor(executor);
                s.createContext("/", this::handle);
                s.start();
                server = s;
                return;
            } catch (java.net.BindException e) {
                last = e;
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException(ie);
                }
            }
        }
        throw last;
    }

    /** Requests to a path ending in {@code suffix}. */
    public List<Seen> requests(String suffix) {
        synchronized (seen) {
            return seen.stream().filter(s -> s.path().endsWith(suffix)).toList();
        }
    }

    /** The answer this server gives to {@code body}: the generation FakeGenerator would make. */
    public static ObjectNode answer(JsonNode body, String model) {
        boolean chat = body.has("messages");
        String prompt = chat ? body.path("messages").path(0).path("content").asText() : body.path("prompt").asText();
        String text = prompt + "|" + body.path("seed").asLong() + "|" + body.path("temperature").asDouble();
        int max = body.has("max_tokens") ? body.path("max_tokens").asInt()
                : body.has("max_completion_tokens") ? body.path("max_completion_tokens").asInt() : 16;
        String finish = "stop";
        if (text.codePointCount(0, text.length()) > max) {
            text = text.substring(0, text.offsetByCodePoints(0, max));
            finish = "length";
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.put("id", "cmpl-1");
        out.put("object", chat ? "chat.completion" : "text_completion");
        out.put("model", model);
        ObjectNode choice = out.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) {
            choice.putObject("message").put("role", "assistant").put("content", text);
        } else {
            choice.put("text", text);
        }
        choice.put("finish_reason", finish);
        out.putObject("usage").put("prompt_tokens", prompt.codePointCount(0, prompt.length()))
                .put("completion_tokens", text.codePointCount(0, text.length()));
        return out;
    }

    private void handle(HttpExchange exchange) throws IOException {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        // In flight until the answer starts: the client may send its next request as soon as it has this one.
        boolean[] counted = {true};
        try {
            byte[] in = exchange.getRequestBody().readAllBytes();
            JsonNode body = in.length == 0 ? null : Json.MAPPER.readTree(in);
            seen.add(new Seen(exchange.getRequestMethod(), exchange.getRequestURI().getPath(), exchange.getProtocol(),
                    Map.copyOf(exchange.getRequestHeaders()), body, exchange.getRemoteAddress().getPort()));
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/v1/models")) {
                ObjectNode card = Json.MAPPER.createObjectNode().put("id", model).put("object", "model");
                if (maxModelLen > 0) card.put("max_model_len", maxModelLen);
                ObjectNode list = Json.MAPPER.createObjectNode().put("object", "list");
                list.putArray("data").add(card);
                send(exchange, 200, list.toString(), null);
                return;
            }
            if (!path.equals("/v1/completions") && !path.equals("/v1/chat/completions")) {
                send(exchange, 404, "{\"object\":\"error\",\"message\":\"Not Found\"}", null);
                return;
            }
            String key = body.has("prompt") ? body.get("prompt").asText() : body.path("messages").toString();
            int attempt = attempts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            Fault fault = faults.choose(body, attempt);
            if (fault instanceof Drop) {
                // An exception out of a handler makes the JDK server close the connection unanswered.
                throw new IOException("fault: drop the connection");
            }
            if (fault instanceof Status s) {
                answering(counted);
                send(exchange, s.code(), s.body(), s.retryAfter());
                return;
            }
            long wait = latencyMillis + (fault instanceof Stall st ? st.millis() : 0);
            if (wait > 0) Thread.sleep(wait);
            answering(counted);
            ObjectNode answer = answer(body, model);
            if (texts != null) {
                String prompt = body.has("messages") ? body.path("messages").path(0).path("content").asText()
                        : body.path("prompt").asText();
                ObjectNode choice = (ObjectNode) answer.path("choices").path(0);
                String text = texts.apply(prompt);
                if (choice.has("text")) choice.put("text", text);
                else ((ObjectNode) choice.path("message")).put("content", text);
                choice.put("finish_reason", "stop");
            }
            send(exchange, 200, answer.toString(), null);
            int n = answered.incrementAndGet();
            if (downAfter > 0 && n == downAfter) down();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            answering(counted);
        }
    }

    private void answering(boolean[] counted) {
        if (counted[0]) {
            counted[0] = false;
            inFlight.decrementAndGet();
        }
    }

    private static void send(HttpExchange exchange, int status, String body, String retryAfter) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (retryAfter != null) exchange.getResponseHeaders().set("Retry-After", retryAfter);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public synchronized void close() {
        if (server != null) server.stop(0);
        executor.shutdownNow();
    }
}
