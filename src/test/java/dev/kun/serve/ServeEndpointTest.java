package dev.kun.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.backend.Backends;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.TextGenerator;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import dev.kun.testing.TinyCheckpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kun's own OpenAI client against kun serve: {@code kun label --endpoint} on the served tiny checkpoint
 * writes, at temperature 0, the instructions {@code kun label --model} writes in-process, over both
 * APIs: completions, with the exact prompt bytes; chat, framed by the served model's template, as
 * {@code --chat-template model} frames it in-process.
 */
class ServeEndpointTest {
    @TempDir static Path shared;
    @TempDir Path dir;
    static Path model;
    static Path documents;
    static TextGenerator generator;
    static KunServer server;
    static final String[] DOCS = {"教育具有促进个体发展和社会发展的功能。", "the cat sat on the mat", "新闻 材料 图片 😀", "回答 指令 好 差"};

    @BeforeAll
    static void start() throws Exception {
        model = TinyCheckpoint.builder().gqa(4, 2).vocab(600).maxPositions(4096).seed(11).write(shared.resolve("Kun-Tiny"));
        documents = shared.resolve("docs.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < DOCS.length; i++) {
            sb.append("{\"id\":\"d").append(i).append("\",\"text\":").append(Json.MAPPER.writeValueAsString(DOCS[i])).append("}\n");
        }
        Files.writeString(documents, sb.toString(), StandardCharsets.UTF_8);
        generator = Backends.openGenerator(BackendSpec.of(model).withDevice("cpu", null));
        server = KunServer.start(generator, ChatTemplate.of(model), ServeConfig.loopback("Kun-Tiny", 4, 16));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (generator != null) generator.close();
    }

    private List<JsonNode> label(Path out, String... backend) throws Exception {
        List<String> args = new ArrayList<>(List.of("label", "-i", documents.toString(), "-o", out.toString(),
                "--progress", "never", "--max-tokens", "8", "--temperature", "0", "--on-error", "skip",
                "--rejects", out + ".rejects"));
        args.addAll(List.of(backend));
        Captured c = Captured.kun(args.toArray(String[]::new));
        assertEquals(0, c.code(), c.stderr());
        List<JsonNode> records = new ArrayList<>();
        for (Path f : List.of(out, Path.of(out + ".rejects"))) {
            if (!Files.exists(f)) continue;
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) records.add(Json.MAPPER.readTree(line));
        }
        records.sort((a, b) -> a.get("id").asText().compareTo(b.get("id").asText()));
        return records;
    }

    /** What must agree between two runs: each record's id, instruction, output or reject reason. */
    private static List<String> essence(List<JsonNode> records) {
        List<String> out = new ArrayList<>();
        for (JsonNode r : records) {
            out.add(r.get("id").asText() + " | " + r.path("instruction").asText("-") + " | " + r.path("output").asText("-")
                    + " | " + r.path("reason").asText("-"));
        }
        return out;
    }

    @Test
    void labelOnTheServerIsLabelInProcess() throws Exception {
        List<JsonNode> inProcess = label(dir.resolve("in-process.jsonl"), "--model", model.toString(), "--device", "cpu");
        String url = server.uri() + "/v1";
        List<JsonNode> completions = label(dir.resolve("served.jsonl"), "--endpoint", url, "--tokenizer", model.toString());
        assertEquals(DOCS.length, inProcess.size());
        assertTrue(inProcess.stream().anyMatch(r -> r.has("instruction")), "some document got an instruction: " + inProcess);
        assertEquals(essence(inProcess), essence(completions));

        // The chat API: the stage's message goes as the user turn and the server frames it with the
        // model's template, which in-process is --chat-template model.
        List<JsonNode> framed = label(dir.resolve("in-process-framed.jsonl"), "--model", model.toString(), "--device", "cpu",
                "--chat-template", "model");
        List<JsonNode> chat = label(dir.resolve("served-chat.jsonl"), "--endpoint", url, "--tokenizer", model.toString(),
                "--endpoint-api", "chat");
        assertEquals(essence(framed), essence(chat));
        assertTrue(server.metricsText().contains("kun_requests_total{endpoint=\"/v1/chat/completions\",code=\"200\"}"));
    }
}
