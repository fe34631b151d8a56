package dev.kun.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.generate.EndpointSpec;
import dev.kun.generate.FinishReason;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.record.Json;
import dev.kun.testing.FakeOpenAiServer;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP client backend against fake servers on loopback: the wire, balancing, failures. */
class OpenAiGeneratorTest {
    static final SamplingParams SAMPLING = new SamplingParams(0.5, 0.95, 0, 1.2, 64, List.of(), List.of());
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) c.close();
    }

    private FakeOpenAiServer server() throws Exception {
        FakeOpenAiServer s = FakeOpenAiServer.start();
        open.add(s);
        return s;
    }

    private OpenAiGenerator generator(EndpointSpec spec, int limit, String apiKey) {
        OpenAiGenerator g = OpenAiGenerator.open(spec, limit, 0, null, null, List.of(), apiKey);
        open.add(g);
        return g;
    }

    private static List<GenerationRequest> requests(int n) {
        List<GenerationRequest> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new GenerationRequest("prompt " + i, SAMPLING, i));
        return out;
    }

    private static EndpointSpec fast(String... urls) {
        return EndpointSpec.of(List.of(urls)).withTimeouts(2, 5, 20);
    }

    @Test
    void http11KeepAliveNoUpgradeAndResultsInRequestOrder() throws Exception {
        FakeOpenAiServer server = server();
        server.latencyMillis = 20;
        OpenAiGenerator g = generator(fast(server.url()), 4, "sk-secret-key");
        List<Generation> out = g.generate(requests(40));
        assertEquals(40, out.size());
        for (int i = 0; i < 40; i++) {
            String expected = FakeOpenAiServer.answer(Json.MAPPER.createObjectNode().put("prompt", "prompt " + i)
                    .put("seed", (long) i).put("temperature", 0.5).put("max_tokens", 64), "m").path("choices").path(0)
                    .path("text").asText();
            assertEquals(expected, out.get(i).text(), "request order");
            assertEquals(FinishReason.STOP, out.get(i).finishReason());
            assertEquals(("prompt " + i).length(), out.get(i).promptTokens(), "from usage");
        }
        Set<Integer> connections = new HashSet<>();
        for (FakeOpenAiServer.Seen s : server.seen) {
            assertEquals("HTTP/1.1", s.protocol());
            assertNull(s.header("Upgrade"), "an HTTP/2 upgrade makes uvicorn drop the body");
            assertNull(s.header("HTTP2-Settings"));
            String connection = s.header("Connection");
            assertTrue(connection == null || !connection.toLowerCase().contains("upgrade"), connection);
            assertEquals("Bearer sk-secret-key", s.header("Authorization"));
            connections.add(s.remotePort());
        }
        assertTrue(connections.size() <= 5, "kept alive: " + connections.size() + " connections for 41 requests");
        assertTrue(server.maxInFlight.get() <= 4, "at most --batch-size in flight: " + server.maxInFlight.get());
        assertTrue(server.maxInFlight.get() >= 2, "concurrent: " + server.maxInFlight.get());
        assertFalse(g.fingerprint().contains("sk-secret"), g.fingerprint());
        assertTrue(g.fingerprint().contains("\"server\":\"vllm\"") && g.fingerprint().contains("\"model\":\"fake-model\""),
                "profile and served model are in the provenance: " + g.fingerprint());
    }

    @Test
    void theModelAndItsContextComeFromV1Models() throws Exception {
        FakeOpenAiServer server = server();
        server.model = "Kun-LabelModel";
        server.maxModelLen = 2048;
        OpenAiGenerator g = generator(fast(server.url()), 2, null);
        assertEquals(2048, g.contextLength());
        g.generate(requests(1));
        assertEquals("Kun-LabelModel", server.requests("/completions").get(0).body().get("model").asText());
        assertNull(server.requests("/completions").get(0).header("Authorization"), "no key, no header");

        OpenAiGenerator named = generator(fast(server.url()).withModel("other"), 2, null);
        assertEquals(Integer.MAX_VALUE, named.contextLength(), "not listed: context unknown");
    }

    @Test
    void leastOutstandingSendsMoreToTheFasterServer() throws Exception {
        FakeOpenAiServer slow = server();
        FakeOpenAiServer quick = server();
        slow.latencyMillis = 150;
        quick.latencyMillis = 5;
        OpenAiGenerator g = generator(fast(slow.url(), quick.url()), 4, null);
        List<Generation> out = g.generate(requests(60));
        assertEquals(60, out.stream().filter(x -> !x.isFailure()).count());
        int s = slow.requests("/completions").size();
        int q = quick.requests("/completions").size();
        assertEquals(60, s + q);
        assertTrue(q > 2 * s, "quick " + q + ", slow " + s);
    }

    @Test
    void aServerThatIsDownIsSetAsideAndTheOthersDoTheWork() throws Exception {
        FakeOpenAiServer up = server();
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        String dead = "http://127.0.0.1:" + deadPort + "/v1";
        OpenAiGenerator g = generator(fast(dead, up.url()).withModel("fake-model"), 4, null);
        long t0 = System.nanoTime();
        List<Generation> out = g.generate(requests(40));
        assertEquals(40, out.stream().filter(x -> !x.isFailure()).count());
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "the dead server did not hold the batch up");
    }

    @Test
    void permanentErrorsAreRejectsAndTheRestGoesOn() throws Exception {
        FakeOpenAiServer server = server();
        server.faults = (body, attempt) -> {
            String prompt = body.path("prompt").asText();
            if (prompt.equals("prompt 3")) {
                return new FakeOpenAiServer.Status(400, "{\"object\":\"error\",\"message\":\"This model's maximum context"
                        + " length is 64 tokens. However, you requested 80 tokens\",\"code\":400}", null);
            }
            if (prompt.equals("prompt 5")) return new FakeOpenAiServer.Status(422, "{\"error\":\"bad stop\"}", null);
            if (prompt.equals("prompt 7")) return new FakeOpenAiServer.Status(500, "{\"message\":\"boom\"}", null);
            return null;
        };
        OpenAiGenerator g = generator(fast(server.url()), 4, null);
        List<Generation> out = g.generate(requests(10));
        assertEquals("prompt_too_long", out.get(3).failure().reason());
        assertTrue(out.get(3).failure().message().contains("maximum context length is 64"));
        assertEquals(1, server.requests("/completions").stream()
                .filter(s -> s.body().path("prompt").asText().equals("prompt 3")).count(), "never retried");
        assertEquals("server_rejected", out.get(5).failure().reason());
        assertEquals("HTTP 422: bad stop", out.get(5).failure().message());
        assertEquals("server_error", out.get(7).failure().reason(), "a 500 every time is this request's own");
        assertEquals(OpenAiGenerator.REQUEST_RETRIES + 1, server.requests("/completions").stream()
                .filter(s -> s.body().path("prompt").asText().equals("prompt 7")).count());
        assertEquals(7, out.stream().filter(x -> !x.isFailure()).count());
    }

    @Test
    void aServerThatRefusesEveryRequestFromTheStartIsMisconfiguredNotTheCorpus() throws Exception {
        FakeOpenAiServer server = server();
        server.faults = (body, attempt) -> new FakeOpenAiServer.Status(422,
                "{\"error\":\"Input validation error: `stop` supports up to 4 stop sequences. Given: 5\"}", null);
        OpenAiGenerator g = generator(fast(server.url()), 4, null);
        KunException e = assertThrows(KunException.class, () -> g.generate(requests(40)));
        assertEquals(ExitCodes.BACKEND, e.exitCode());
        assertTrue(e.getMessage().contains("refused the first " + OpenAiGenerator.REFUSED_BEFORE_ANY)
                && e.getMessage().contains("4 stop sequences"), e.getMessage());
    }

    @Test
    void retryAfterIsHonoured() throws Exception {
        FakeOpenAiServer server = server();
        server.faults = (body, attempt) -> attempt == 1
                ? new FakeOpenAiServer.Status(429, "{\"message\":\"slow down\"}", "1") : null;
        OpenAiGenerator g = generator(fast(server.url()), 4, null);
        long t0 = System.nanoTime();
        List<Generation> out = g.generate(requests(3));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(3, out.stream().filter(x -> !x.isFailure()).count());
        assertTrue(seconds >= 1.0, "waited Retry-After: " + seconds);
    }

    @Test
    void misconfigurationStopsTheRunAtOnce() throws Exception {
        FakeOpenAiServer server = server();
        server.faults = (body, attempt) -> new FakeOpenAiServer.Status(401,
                "{\"error\":{\"message\":\"Invalid API key: sk-wrong-key\"}}", null);
        OpenAiGenerator g = generator(fast(server.url()).withModel("m"), 4, "sk-wrong-key");
        KunException e = assertThrows(KunException.class, () -> g.generate(requests(5)));
        assertEquals(ExitCodes.BACKEND, e.exitCode());
        assertTrue(e.getMessage().contains("HTTP 401") && e.getMessage().contains("KUN_API_KEY"), e.getMessage());
        assertFalse(e.getMessage().contains("sk-wrong"), "the key is never in a message");

        FakeOpenAiServer chatOnly = server();
        chatOnly.faults = (body, attempt) -> new FakeOpenAiServer.Status(404, "{\"detail\":\"Not Found\"}", null);
        OpenAiGenerator wrong = generator(fast(chatOnly.url()).withModel("m"), 4, null);
        KunException missing = assertThrows(KunException.class, () -> wrong.generate(requests(2)));
        assertTrue(missing.getMessage().contains("HTTP 404") && missing.getMessage().contains("--endpoint-api chat"),
                missing.getMessage());
    }

    @Test
    void whenNothingSucceedsForThePatienceTheStageStopsNamingWhatFailed() throws Exception {
        FakeOpenAiServer server = server();
        server.faults = (body, attempt) -> new FakeOpenAiServer.Status(503, "{\"message\":\"loading\"}", null);
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        String dead = "http://127.0.0.1:" + deadPort + "/v1";
        OpenAiGenerator g = generator(EndpointSpec.of(List.of(server.url(), dead)).withModel("m").withTimeouts(1, 5, 1.5), 4, null);
        long t0 = System.nanoTime();
        KunException e = assertThrows(KunException.class, () -> g.generate(requests(8)));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(ExitCodes.BACKEND, e.exitCode());
        assertTrue(seconds >= 1.5 && seconds < 10, seconds + " s");
        assertTrue(e.getMessage().contains(server.url() + ": HTTP 503 x"), e.getMessage());
        assertTrue(e.getMessage().contains(dead + ": connection refused x"), e.getMessage());
        assertTrue(e.getMessage().contains("rerun the same command to resume"), e.getMessage());
    }

    @Test
    void withoutAModelNameADownServerIsWaitedForUpToThePatience() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        EndpointSpec spec = EndpointSpec.of(List.of("http://127.0.0.1:" + deadPort)).withTimeouts(1, 1, 1);
        KunException e = assertThrows(KunException.class, () -> generator(spec, 1, null));
        assertEquals(ExitCodes.BACKEND, e.exitCode());
        assertTrue(e.getMessage().contains("/v1/models") && e.getMessage().contains("connection refused"), e.getMessage());
    }

    @Test
    void baseUrlsAreNormalised() {
        assertEquals("http://h:8000/v1", OpenAiGenerator.baseUrl("http://h:8000/v1/").toString());
        assertEquals("http://h:8000/v1", OpenAiGenerator.baseUrl("http://h:8000").toString());
        assertEquals("https://api.example.com/openai/v1", OpenAiGenerator.baseUrl("https://api.example.com/openai/v1").toString());
        assertEquals(ExitCodes.USAGE, assertThrows(KunException.class, () -> OpenAiGenerator.baseUrl("h:8000")).exitCode());
        assertEquals(ExitCodes.USAGE, assertThrows(KunException.class, () -> OpenAiGenerator.baseUrl("ftp://h/v1")).exitCode());
        assertEquals("http://h:1/v1", new Endpoint(OpenAiGenerator.baseUrl("http://user:pw@h:1/v1"), 1).name,
                "a password in the URL is not shown");
    }
}
