package dev.kun.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.generate.FinishReason;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.record.Json;
import dev.kun.testing.FakeGenerator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the server admits and what it lets go, with a generator the test drives: the bounded queue and
 * its 503, a hang-up that frees a slot or a place in the queue at once, streaming as the text comes,
 * the API key, engine failures, and a graceful shutdown.
 */
class ServeLimitsTest {
    private final List<KunServer> servers = new ArrayList<>();
    /** ChatML, as the tiny checkpoint's template renders it (ServeApiTest renders the real template). */
    private static final ChatTemplate CHAT_ML = messages -> {
        StringBuilder sb = new StringBuilder();
        for (ChatMessage m : messages) sb.append("<|im_start|>").append(m.role()).append('\n').append(m.content()).append("<|im_end|>\n");
        return sb.append("<|im_start|>assistant\n").toString();
    };

    @AfterEach
    void stop() {
        for (KunServer s : servers) s.close();
    }

    private KunServer start(dev.kun.generate.TextGenerator generator, ServeConfig config) {
        KunServer s = KunServer.start(generator, CHAT_ML, config);
        servers.add(s);
        return s;
    }

    private static ObjectNode completion(String prompt) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        return body.put("model", "m").put("prompt", prompt).put("max_tokens", 50);
    }

    private static String json(ObjectNode body) throws IOException {
        return Json.MAPPER.writeValueAsString(body);
    }

    /** A gauge or counter of /metrics, polled until it reads {@code value} or 5 s pass. */
    private static void awaitMetric(KunServer server, String name, long value) throws InterruptedException {
        long end = System.currentTimeMillis() + 5000;
        long last = -1;
        while (System.currentTimeMillis() < end) {
            last = metric(server, name);
            if (last == value) return;
            Thread.sleep(10);
        }
        assertEquals(value, last, name);
    }

    private static long metric(KunServer server, String name) {
        return server.metricsText().lines().filter(l -> l.startsWith(name + " ")).mapToLong(l -> Long.parseLong(l.split(" ")[1]))
                .findFirst().orElseThrow();
    }

    @Test
    void aFullQueueIsRefusedAtOnceWith503AndRetryAfter() throws Exception {
        GatedGenerator g = new GatedGenerator(1000);
        KunServer server = start(g, ServeConfig.loopback("m", 1, 1));
        ApiClient client = new ApiClient(server.uri());
        CompletableFuture<ApiClient.Answer> a = client.postAsync("/v1/completions", completion("a"));
        GatedGenerator.Pending running = g.next();
        assertEquals("a", running.request.prompt());
        CompletableFuture<ApiClient.Answer> b = client.postAsync("/v1/completions", completion("b"));
        awaitMetric(server, "kun_queue_depth", 1);
        assertEquals(1, metric(server, "kun_slots_busy"));

        ApiClient.Answer refused = client.post("/v1/completions", completion("c"));
        ServeApiTest.check(refused, 503, "server_error", null);
        assertEquals("1", refused.header("Retry-After"));
        assertNull(g.next(200), "a refused request never reaches the engine");

        running.emit("A");
        running.finish(FinishReason.STOP);
        assertEquals("A", a.get(10, TimeUnit.SECONDS).json().at("/choices/0/text").asText());
        GatedGenerator.Pending second = g.next();
        assertEquals("b", second.request.prompt(), "the queued request takes the freed slot");
        second.emit("B");
        second.finish(FinishReason.LENGTH);
        ApiClient.Answer bAnswer = b.get(10, TimeUnit.SECONDS);
        assertEquals("B", bAnswer.json().at("/choices/0/text").asText());
        assertEquals("length", bAnswer.json().at("/choices/0/finish_reason").asText());
        assertTrue(server.metricsText().contains("kun_requests_total{endpoint=\"/v1/completions\",code=\"503\"} 1"));
    }

    @Test
    void aClientThatHangsUpFreesItsSlotAtOnce() throws Exception {
        GatedGenerator g = new GatedGenerator(1000);
        KunServer server = start(g, ServeConfig.loopback("m", 1, 1));
        ApiClient client = new ApiClient(server.uri());
        Socket gone = client.open("/v1/completions", json(completion("gone")));
        GatedGenerator.Pending running = g.next();
        CompletableFuture<ApiClient.Answer> waiting = client.postAsync("/v1/completions", completion("next"));
        awaitMetric(server, "kun_queue_depth", 1);

        gone.close(); // the non-streamed request writes nothing until its end: only the watcher can tell
        assertTrue(running.cancelledWithin(5000), "the generation of a client that left is cancelled");
        GatedGenerator.Pending next = g.next();
        assertEquals("next", next.request.prompt(), "its slot goes to the next in line");
        next.emit("ok");
        next.finish(FinishReason.STOP);
        assertEquals(200, waiting.get(10, TimeUnit.SECONDS).status());
        awaitMetric(server, "kun_client_disconnects_total", 1);
        awaitMetric(server, "kun_slots_busy", 0);
    }

    @Test
    void aQueuedClientThatHangsUpLeavesTheQueue() throws Exception {
        GatedGenerator g = new GatedGenerator(1000);
        KunServer server = start(g, ServeConfig.loopback("m", 1, 1));
        ApiClient client = new ApiClient(server.uri());
        CompletableFuture<ApiClient.Answer> a = client.postAsync("/v1/completions", completion("a"));
        GatedGenerator.Pending running = g.next();
        Socket queued = client.open("/v1/completions", json(completion("queued")));
        awaitMetric(server, "kun_queue_depth", 1);
        queued.close();
        awaitMetric(server, "kun_queue_depth", 0);
        // Its place is free at once: another request queues instead of being refused.
        CompletableFuture<ApiClient.Answer> c = client.postAsync("/v1/completions", completion("c"));
        awaitMetric(server, "kun_queue_depth", 1);
        running.finish(FinishReason.STOP);
        assertEquals(200, a.get(10, TimeUnit.SECONDS).status());
        GatedGenerator.Pending next = g.next();
        assertEquals("c", next.request.prompt(), "the request that left never runs");
        next.finish(FinishReason.STOP);
        assertEquals(200, c.get(10, TimeUnit.SECONDS).status());
        awaitMetric(server, "kun_client_disconnects_total", 1);
    }

    @Test
    void textIsStreamedAsItIsGeneratedAndAHangUpCancels() throws Exception {
        GatedGenerator g = new GatedGenerator(1000);
        KunServer server = start(g, ServeConfig.loopback("m", 2, 0));
        ApiClient client = new ApiClient(server.uri());
        Socket s = client.open("/v1/completions", json(completion("p").put("stream", true)));
        GatedGenerator.Pending p = g.next();
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        p.emit("Hello");
        String line;
        while (!(line = in.readLine()).startsWith("data: ")) {
            if (line.startsWith("HTTP/1.1")) assertEquals("HTTP/1.1 200 OK", line);
        }
        // The first chunk arrived while the generation still runs.
        assertEquals("Hello", Json.MAPPER.readTree(line.substring(6)).at("/choices/0/text").asText());
        assertFalse(p.future.isDone());
        p.emit(" wor");
        p.emit("ld");
        s.close();
        assertTrue(p.cancelledWithin(5000), "a streaming client that left is cancelled");
        awaitMetric(server, "kun_client_disconnects_total", 1);
        awaitMetric(server, "kun_slots_busy", 0);
    }

    @Test
    void piecesThatArriveTogetherAreOneChunk() throws Exception {
        GatedGenerator g = new GatedGenerator(1000);
        KunServer server = start(g, ServeConfig.loopback("m", 1, 0));
        ApiClient client = new ApiClient(server.uri());
        CompletableFuture<ApiClient.Events> events = CompletableFuture.supplyAsync(() -> {
            try {
                return client.stream("/v1/chat/completions", chatBody().put("stream", true));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        GatedGenerator.Pending p = g.next();
        assertEquals("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", p.request.prompt());
        p.emit("a");
        p.emit("b");
        p.emit("c");
        p.finish(FinishReason.STOP);
        ApiClient.Events e = events.get(10, TimeUnit.SECONDS);
        StringBuilder text = new StringBuilder();
        for (var c : e.chunks()) text.append(c.at("/choices/0/delta/content").asText(""));
        assertEquals("abc", text.toString());
        assertTrue(e.chunks().size() <= 5, "role, at most three pieces, finish: " + e.data());
        assertEquals("stop", e.chunks().get(e.chunks().size() - 1).at("/choices/0/finish_reason").asText());
    }

    @Test
    void textTheGeneratorHeldBackIsSentBeforeTheFinish() throws Exception {
        GatedGenerator g = new GatedGenerator(1000);
        KunServer server = start(g, ServeConfig.loopback("m", 1, 0));
        ApiClient client = new ApiClient(server.uri());
        CompletableFuture<ApiClient.Events> events = CompletableFuture.supplyAsync(() -> {
            try {
                return client.stream("/v1/completions", completion("p").put("stream", true));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        GatedGenerator.Pending p = g.next();
        p.emit("He"); // "llo" held back (it might have begun a stop string), then released at the end
        p.future.complete(new Generation("Hello", FinishReason.STOP, 1, 5, new int[0], null));
        StringBuilder text = new StringBuilder();
        for (var c : events.get(10, TimeUnit.SECONDS).chunks()) text.append(c.at("/choices/0/text").asText());
        assertEquals("Hello", text.toString());
    }

    private static ObjectNode chatBody() {
        ObjectNode body = Json.MAPPER.createObjectNode().put("model", "m");
        body.putArray("messages").addObject().put("role", "user").put("content", "hi");
        return body;
    }

    @Test
    void aBrokenBodyOrAnUploadCutShortClosesTheConnectionWithoutAServerError() throws Exception {
        KunServer server = start(new FakeGenerator(), ServeConfig.loopback("m", 1, 1));
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            // Jetty's parser reports broken chunked framing as the body ending early: the connection closes.
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "zz\r\n{}\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            assertNull(in.readLine());
        }
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"model\":")
                    .getBytes(StandardCharsets.US_ASCII));
        } // closed 990 bytes early
        awaitMetric(server, "kun_client_disconnects_total", 2);
        assertFalse(server.metricsText().contains("code=\"500\""), server.metricsText());
        assertEquals(200, new ApiClient(server.uri()).get("/health").status());
    }

    @Test
    void anApiKeyGuardsV1ButNotHealth() throws Exception {
        KunServer server = start(new FakeGenerator(), ServeConfig.loopback("m", 1, 1).withApiKey("s3cret"));
        ApiClient anonymous = new ApiClient(server.uri());
        ApiClient wrong = new ApiClient(server.uri(), "s3cre");
        ApiClient right = new ApiClient(server.uri(), "s3cret");
        ApiClient.Answer denied = anonymous.post("/v1/completions", completion("x"));
        ServeApiTest.check(denied, 401, "invalid_request_error", null);
        assertEquals("invalid_api_key", denied.error("code"));
        assertEquals(401, wrong.post("/v1/completions", completion("x")).status());
        assertEquals(401, anonymous.get("/v1/models").status());
        assertEquals(200, right.post("/v1/completions", completion("x")).status());
        assertEquals(200, right.get("/v1/models").status());
        assertEquals(200, anonymous.get("/health").status());
    }

    @Test
    void theDefaultSubmitServesAGeneratorWithoutContinuousBatching() throws Exception {
        FakeGenerator fake = new FakeGenerator();
        KunServer server = start(fake, ServeConfig.loopback("m", 2, 2));
        ApiClient client = new ApiClient(server.uri());
        ApiClient.Answer a = client.post("/v1/completions", completion("hi").put("temperature", 0.25).put("seed", 9));
        assertEquals(200, a.status(), a.body());
        assertEquals("hi|9|0.25", a.json().at("/choices/0/text").asText(), "prompt, seed and temperature reach the engine");
        ApiClient.Events e = client.stream("/v1/completions", completion("yo").put("seed", 3).put("stream", true));
        StringBuilder text = new StringBuilder();
        for (var c : e.chunks()) text.append(c.at("/choices/0/text").asText());
        assertEquals("yo|3|1.0", text.toString(), "OpenAI's default temperature is 1");
    }

    @Test
    void samplingFieldsReachTheEngineAndARandomSeedWhenNoneIsGiven() throws Exception {
        GatedGenerator g = new GatedGenerator(1000);
        KunServer server = start(g, ServeConfig.loopback("m", 1, 0));
        ApiClient client = new ApiClient(server.uri());
        ObjectNode body = completion("p").put("temperature", 0.7).put("top_p", 0.9).put("top_k", 40)
                .put("repetition_penalty", 1.3).put("max_tokens", 33).put("seed", -5);
        body.putArray("stop").add("\n").add("END");
        body.putArray("stop_token_ids").add(7).add(2);
        body.put("min_p", 0.0);
        CompletableFuture<ApiClient.Answer> a = client.postAsync("/v1/completions", body);
        GatedGenerator.Pending p = g.next();
        GenerationRequest r = p.request;
        assertEquals(new dev.kun.generate.SamplingParams(0.7, 0.9, 40, 1.3, 33, List.of("\n", "END"), List.of(7, 2)), r.sampling());
        assertEquals(-5, r.seed());
        p.finish(FinishReason.STOP);
        a.get(10, TimeUnit.SECONDS);

        List<Long> seeds = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            CompletableFuture<ApiClient.Answer> x = client.postAsync("/v1/completions", completion("p").put("max_tokens", 2));
            GatedGenerator.Pending q = g.next();
            seeds.add(q.request.seed());
            assertEquals(new dev.kun.generate.SamplingParams(1, 1, 0, 1, 2, List.of(), List.of()), q.request.sampling(),
                    "OpenAI's defaults");
            q.finish(FinishReason.LENGTH);
            x.get(10, TimeUnit.SECONDS);
        }
        assertEquals(3, seeds.stream().distinct().count(), "each request without a seed gets its own: " + seeds);

        // Without max_tokens: 16 for completions (OpenAI's default), the rest of the context for chat.
        CompletableFuture<ApiClient.Answer> d = client.postAsync("/v1/completions", Json.MAPPER.createObjectNode()
                .put("model", "m").put("prompt", "abcd"));
        GatedGenerator.Pending q = g.next();
        assertEquals(16, q.request.sampling().maxTokens());
        q.finish(FinishReason.STOP);
        d.get(10, TimeUnit.SECONDS);
        CompletableFuture<ApiClient.Answer> c = client.postAsync("/v1/chat/completions", chatBody());
        q = g.next();
        assertEquals(1000 - q.request.prompt().length(), q.request.sampling().maxTokens());
        q.finish(FinishReason.STOP);
        c.get(10, TimeUnit.SECONDS);
    }

    @Test
    void engineFailuresAreErrorObjects() throws Exception {
        GatedGenerator g = new GatedGenerator(1000);
        KunServer server = start(g, ServeConfig.loopback("m", 1, 0));
        ApiClient client = new ApiClient(server.uri());
        CompletableFuture<ApiClient.Answer> a = client.postAsync("/v1/completions", completion("p"));
        g.next().future.complete(Generation.failed("prompt_too_long", "the prompt has 9 tokens; the context holds 8", 9));
        ApiClient.Answer tooLong = a.get(10, TimeUnit.SECONDS);
        ServeApiTest.check(tooLong, 400, "invalid_request_error", "prompt");
        assertEquals("context_length_exceeded", tooLong.error("code"));

        CompletableFuture<ApiClient.Answer> b = client.postAsync("/v1/completions", completion("p"));
        g.next().future.completeExceptionally(new IllegalStateException("out of memory on the device"));
        ServeApiTest.check(b.get(10, TimeUnit.SECONDS), 500, "server_error", null);

        // After the stream began, a failure is an error event, then [DONE].
        CompletableFuture<ApiClient.Events> s = CompletableFuture.supplyAsync(() -> {
            try {
                return client.stream("/v1/completions", completion("p").put("stream", true));
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        GatedGenerator.Pending p = g.next();
        p.emit("partial");
        Thread.sleep(100);
        p.future.completeExceptionally(new IllegalStateException("device lost"));
        ApiClient.Events e = s.get(10, TimeUnit.SECONDS);
        assertEquals(200, e.status());
        assertEquals("[DONE]", e.data().get(e.data().size() - 1));
        assertEquals("server_error", Json.MAPPER.readTree(e.data().get(e.data().size() - 2)).at("/error/type").asText());
    }

    @Test
    void shutdownLetsRequestsInFlightFinishAndRefusesNewOnes() throws Exception {
        GatedGenerator g = new GatedGenerator(1000);
        KunServer server = start(g, ServeConfig.loopback("m", 2, 2));
        ApiClient client = new ApiClient(server.uri());
        CompletableFuture<ApiClient.Answer> a = client.postAsync("/v1/completions", completion("in flight"));
        GatedGenerator.Pending p = g.next();
        int port = server.port();
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(server::shutdown);
        Thread.sleep(300);
        assertFalse(stopped.isDone(), "shutdown waits for the request in flight");
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(), "no new connections");
        p.emit("done");
        p.finish(FinishReason.STOP);
        ApiClient.Answer answer = a.get(10, TimeUnit.SECONDS);
        assertEquals(200, answer.status());
        assertEquals("done", answer.json().at("/choices/0/text").asText());
        stopped.get(10, TimeUnit.SECONDS);
    }

    @Test
    void shutdownCancelsWhatOutlivesItsTimeout() throws Exception {
        GatedGenerator g = new GatedGenerator(1000);
        KunServer server = start(g, ServeConfig.loopback("m", 1, 0).withShutdownTimeout(Duration.ofMillis(500)));
        ApiClient client = new ApiClient(server.uri());
        client.postAsync("/v1/completions", completion("forever"));
        GatedGenerator.Pending p = g.next();
        long t0 = System.nanoTime();
        server.shutdown();
        assertTrue(p.future.isCancelled(), "the generation that outlived the timeout is cancelled");
        assertTrue((System.nanoTime() - t0) / 1e9 < 8, "and shutdown returns soon after");
    }
}
