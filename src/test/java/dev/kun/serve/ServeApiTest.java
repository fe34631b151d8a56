package dev.kun.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.backend.Backends;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.TextGenerator;
import dev.kun.record.Json;
import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kun serve over the real engine on a tiny checkpoint: the answers of /v1/completions and
 * /v1/chat/completions are the in-process generations, in OpenAI's shapes, streamed or not; every
 * refusal is the status and error object the API promises.
 */
class ServeApiTest {
    @TempDir static Path dir;
    static TextGenerator generator;
    static KunServer server;
    static ApiClient client;

    @BeforeAll
    static void start() {
        Path model = TinyCheckpoint.builder().gqa(4, 2).vocab(600).maxPositions(128).seed(11).write(dir.resolve("tiny"));
        generator = Backends.openGenerator(BackendSpec.of(model).withDevice("cpu", null));
        server = KunServer.start(generator, ChatTemplate.of(model), ServeConfig.loopback("tiny", 4, 8).withMaxBodyBytes(4096));
        client = new ApiClient(server.uri());
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (generator != null) generator.close();
    }

    private static ObjectNode completion(String prompt, int maxTokens) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", "tiny").put("prompt", prompt).put("max_tokens", maxTokens).put("temperature", 0);
        return body;
    }

    private static ObjectNode chat(String user, int maxTokens) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("model", "tiny").put("max_tokens", maxTokens).put("temperature", 0);
        body.putArray("messages").addObject().put("role", "system").put("content", "be brief");
        ((com.fasterxml.jackson.databind.node.ArrayNode) body.get("messages")).addObject().put("role", "user").put("content", user);
        return body;
    }

    private static Generation inProcess(String prompt, int maxTokens) {
        return generator.generate(List.of(new GenerationRequest(prompt, SamplingParams.greedy(maxTokens), 0))).get(0);
    }

    @Test
    void completionIsTheInProcessGenerationInOpenAisShape() throws Exception {
        ApiClient.Answer a = client.post("/v1/completions", completion("the cat", 12));
        assertEquals(200, a.status(), a.body());
        Generation expected = inProcess("the cat", 12);
        JsonNode r = a.json();
        assertTrue(r.get("id").asText().startsWith("cmpl-"), r.toString());
        assertEquals("text_completion", r.get("object").asText());
        assertTrue(r.get("created").isIntegralNumber());
        assertEquals("tiny", r.get("model").asText());
        JsonNode choice = r.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        assertEquals(expected.text(), choice.get("text").asText());
        assertTrue(choice.get("logprobs").isNull());
        assertEquals(expected.finishReason().wireName(), choice.get("finish_reason").asText());
        assertEquals(expected.promptTokens(), r.at("/usage/prompt_tokens").asInt());
        assertEquals(expected.generatedTokens(), r.at("/usage/completion_tokens").asInt());
        assertEquals(expected.promptTokens() + expected.generatedTokens(), r.at("/usage/total_tokens").asInt());
        assertTrue(a.header("Content-Type").startsWith("application/json"));
    }

    @Test
    void chatRendersTheCheckpointsTemplate() throws Exception {
        ApiClient.Answer a = client.post("/v1/chat/completions", chat("新闻 材料", 10));
        assertEquals(200, a.status(), a.body());
        // TinyCheckpoint's template is ChatML: each turn, then the opening of the assistant's.
        String prompt = "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\n新闻 材料<|im_end|>\n<|im_start|>assistant\n";
        Generation expected = inProcess(prompt, 10);
        JsonNode r = a.json();
        assertTrue(r.get("id").asText().startsWith("chatcmpl-"));
        assertEquals("chat.completion", r.get("object").asText());
        JsonNode choice = r.get("choices").get(0);
        assertEquals("assistant", choice.at("/message/role").asText());
        assertEquals(expected.text(), choice.at("/message/content").asText());
        assertEquals(expected.finishReason().wireName(), choice.get("finish_reason").asText());
        assertEquals(expected.promptTokens(), r.at("/usage/prompt_tokens").asInt());
    }

    @Test
    void aStreamIsTheSameTextInChunksEndingWithDone() throws Exception {
        ObjectNode body = completion("longer prompt about the weather", 20).put("stream", true);
        ApiClient.Events e = client.stream("/v1/completions", body);
        assertEquals(200, e.status());
        assertTrue(e.contentType().startsWith("text/event-stream"), e.contentType());
        assertEquals("[DONE]", e.data().get(e.data().size() - 1));
        List<JsonNode> chunks = e.chunks();
        StringBuilder text = new StringBuilder();
        String id = chunks.get(0).get("id").asText();
        for (int i = 0; i < chunks.size(); i++) {
            JsonNode c = chunks.get(i);
            assertEquals("text_completion", c.get("object").asText());
            assertEquals(id, c.get("id").asText(), "one id for the whole stream");
            JsonNode choice = c.get("choices").get(0);
            text.append(choice.get("text").asText());
            assertEquals(i == chunks.size() - 1, !choice.get("finish_reason").isNull(), "only the last chunk finishes");
        }
        Generation expected = inProcess("longer prompt about the weather", 20);
        assertEquals(expected.text(), text.toString());
        assertEquals(expected.finishReason().wireName(), chunks.get(chunks.size() - 1).at("/choices/0/finish_reason").asText());
        assertNull(chunks.get(0).get("usage"), "no usage field unless asked");
    }

    @Test
    void aChatStreamOpensWithTheRoleAndMayEndWithUsage() throws Exception {
        ObjectNode body = chat("回答 指令", 16).put("stream", true);
        body.putObject("stream_options").put("include_usage", true);
        ApiClient.Events e = client.stream("/v1/chat/completions", body);
        assertEquals(200, e.status());
        List<JsonNode> chunks = e.chunks();
        assertEquals("assistant", chunks.get(0).at("/choices/0/delta/role").asText());
        JsonNode usage = chunks.get(chunks.size() - 1);
        assertEquals(0, usage.get("choices").size(), "the usage chunk has no choices");
        JsonNode last = chunks.get(chunks.size() - 2);
        assertFalse(last.at("/choices/0/finish_reason").isNull());
        StringBuilder text = new StringBuilder();
        for (JsonNode c : chunks.subList(0, chunks.size() - 1)) {
            assertEquals("chat.completion.chunk", c.get("object").asText());
            assertTrue(c.get("usage").isNull(), "usage: null on every chunk but the last");
            text.append(c.at("/choices/0/delta/content").asText(""));
        }
        String prompt = "<|im_start|>system\nbe brief<|im_end|>\n<|im_start|>user\n回答 指令<|im_end|>\n<|im_start|>assistant\n";
        Generation expected = inProcess(prompt, 16);
        assertEquals(expected.text(), text.toString());
        assertEquals(expected.generatedTokens(), usage.at("/usage/completion_tokens").asInt());
        assertEquals(expected.promptTokens(), usage.at("/usage/prompt_tokens").asInt());
    }

    @Test
    void theSeedMakesSamplingRepeatable() throws Exception {
        ObjectNode body = completion("a", 16).put("temperature", 1.0).put("seed", 1234);
        String first = client.post("/v1/completions", body).json().at("/choices/0/text").asText();
        assertEquals(first, client.post("/v1/completions", body).json().at("/choices/0/text").asText());
        boolean differs = false;
        for (int seed = 1; seed < 6 && !differs; seed++) {
            differs = !first.equals(client.post("/v1/completions", body.put("seed", seed)).json().at("/choices/0/text").asText());
        }
        assertTrue(differs, "another seed samples other text");
    }

    @Test
    void modelsHealthAndMetrics() throws Exception {
        ApiClient.Answer models = client.get("/v1/models");
        assertEquals(200, models.status());
        assertEquals("list", models.json().get("object").asText());
        assertEquals("tiny", models.json().at("/data/0/id").asText());
        assertEquals("model", models.json().at("/data/0/object").asText());
        assertEquals(128, models.json().at("/data/0/max_model_len").asInt());
        assertEquals("tiny", client.get("/v1/models/tiny").json().get("id").asText());
        assertEquals(404, client.get("/v1/models/other").status());
        ApiClient.Answer health = client.get("/health");
        assertEquals(200, health.status());
        assertEquals("ok", health.json().get("status").asText());

        client.post("/v1/completions", completion("the cat", 4));
        ApiClient.Answer metrics = client.get("/metrics");
        assertEquals(200, metrics.status());
        assertTrue(metrics.header("Content-Type").startsWith("text/plain; version=0.0.4"));
        String text = metrics.body();
        for (String series : List.of("kun_requests_total{endpoint=\"/v1/completions\",code=\"200\"}", "kun_prompt_tokens_total",
                "kun_generation_tokens_total", "kun_queue_depth 0", "kun_slots_busy 0", "kun_slots 4", "kun_queue_capacity 8",
                "kun_request_duration_seconds_bucket{endpoint=\"/v1/completions\",le=\"+Inf\"}", "kun_queue_wait_seconds_count",
                "kun_time_to_first_token_seconds_count", "# TYPE kun_request_duration_seconds histogram")) {
            assertTrue(text.contains(series), series + " in\n" + text);
        }
        assertNotEquals(-1, text.indexOf("kun_generation_tokens_total "));
        long generated = Long.parseLong(text.lines().filter(l -> l.startsWith("kun_generation_tokens_total ")).findFirst()
                .orElseThrow().split(" ")[1]);
        assertTrue(generated >= 1, text);
    }

    @Test
    void badRequestsGetTheirStatusAndAnOpenAiErrorObject() throws Exception {
        check(client.post("/v1/completions", "{\"model\": \"tiny\", \"prompt\": "), 400, "invalid_request_error", null);
        check(client.post("/v1/completions", "[1, 2]"), 400, "invalid_request_error", null);
        check(client.post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"x\"} trailing"), 400, "invalid_request_error", null);
        check(client.post("/v1/completions", completion("x", 4).put("temperature", "hot")), 400, "invalid_request_error", "temperature");
        check(client.post("/v1/completions", completion("x", 4).put("temperature", 2.5)), 400, "invalid_request_error", "temperature");
        check(client.post("/v1/completions", completion("x", 4).put("top_p", 0)), 400, "invalid_request_error", "top_p");
        check(client.post("/v1/completions", completion("x", 4).put("max_tokens", 1.5)), 400, "invalid_request_error", "max_tokens");
        check(client.post("/v1/completions", completion("x", 4).put("max_tokens", 0)), 400, "invalid_request_error", "max_tokens");
        check(client.post("/v1/completions", completion("x", 4).put("stream", "yes")), 400, "invalid_request_error", "stream");
        check(client.post("/v1/completions", completion("x", 4).put("seed", "7")), 400, "invalid_request_error", "seed");
        check(client.post("/v1/completions", completion("x", 4).put("n", 2)), 400, "invalid_request_error", "n");
        check(client.post("/v1/completions", completion("x", 4).put("stop", 3)), 400, "invalid_request_error", "stop");
        check(client.post("/v1/completions", completion("x", 4).put("stop_token_ids", "7")), 400, "invalid_request_error", "stop_token_ids");
        check(client.post("/v1/completions", completion("x", 4).put("min_p", 0.1)), 400, "invalid_request_error", "min_p");
        check(client.post("/v1/completions", completion("x", 4).putNull("prompt")), 400, "invalid_request_error", "prompt");
        check(client.post("/v1/completions", completion("", 4)), 400, "invalid_request_error", "prompt");
        check(client.post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"\\ud800\"}"), 400, "invalid_request_error", "prompt");
        ObjectNode noModel = completion("x", 4);
        noModel.remove("model");
        check(client.post("/v1/completions", noModel), 400, "invalid_request_error", "model");
        check(client.post("/v1/chat/completions", chat("x", 4).put("messages", "hi")), 400, "invalid_request_error", "messages");
        ObjectNode tool = chat("x", 4);
        ((ObjectNode) tool.get("messages").get(1)).put("role", "tool");
        check(client.post("/v1/chat/completions", tool), 400, "invalid_request_error", "messages[1].role");

        ApiClient.Answer unknown = client.post("/v1/completions", completion("x", 4).put("model", "gpt-4"));
        check(unknown, 404, "invalid_request_error", "model");
        assertEquals("model_not_found", unknown.error("code"));
        check(client.get("/v1/nothing"), 404, "invalid_request_error", null);
        ApiClient.Answer get = client.get("/v1/completions");
        check(get, 405, "invalid_request_error", null);
        assertEquals("POST", get.header("Allow"));
    }

    @Test
    void promptsAndBudgetsBeyondTheContextAre400() throws Exception {
        String longPrompt = "the cat ".repeat(100); // far beyond the 128-token context
        ApiClient.Answer tooLong = client.post("/v1/completions", completion(longPrompt, 4));
        check(tooLong, 400, "invalid_request_error", "prompt");
        assertEquals("context_length_exceeded", tooLong.error("code"));
        int promptTokens = generator.countTokens("the cat");
        ApiClient.Answer budget = client.post("/v1/completions", completion("the cat", 128 - promptTokens + 1));
        check(budget, 400, "invalid_request_error", "max_tokens");
        assertEquals("context_length_exceeded", budget.error("code"));
        assertTrue(budget.error("message").contains("maximum context length is 128 tokens"), budget.body());
        assertEquals(200, client.post("/v1/completions", completion("the cat", 128 - promptTokens)).status(),
                "exactly the context is allowed");
        // Without max_tokens, chat may use the whole rest of the context.
        ObjectNode open = chat("hi", 4);
        open.remove("max_tokens");
        assertEquals(200, client.post("/v1/chat/completions", open).status());
    }

    @Test
    void aBodyOverTheLimitIs413() throws Exception {
        ApiClient.Answer a = client.post("/v1/completions", completion("x".repeat(5000), 4));
        check(a, 413, "invalid_request_error", null);
        assertEquals(200, client.post("/v1/completions", completion("the cat", 2)).status(), "the server goes on");
    }

    static void check(ApiClient.Answer a, int status, String type, String param) {
        assertEquals(status, a.status(), a.body());
        assertTrue(a.json() != null && a.json().get("error").isObject(), a.body());
        assertEquals(type, a.error("type"), a.body());
        assertTrue(a.error("message") != null && !a.error("message").isEmpty(), a.body());
        assertEquals(param, a.error("param"), a.body());
    }
}
