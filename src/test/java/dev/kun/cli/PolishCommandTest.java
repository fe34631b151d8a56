package dev.kun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.error.ExitCodes;
import dev.kun.generate.SamplingParams;
import dev.kun.prompt.AnswerPrompt;
import dev.kun.prompt.ChatFormat;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import dev.kun.testing.FakeGenerator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Option parsing and wiring of {@code kun polish}, with a fake backend (one token per character). */
class PolishCommandTest {
    @TempDir Path dir;

    private Captured run(FakeGenerator g, String... args) {
        return Captured.run(new byte[0], () -> StageCommands.execute(new PolishCommand(spec -> g), args));
    }

    @Test
    void everyOptionReachesTheStage() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"id\":\"a\",\"instruction\":\"问题很长很长\",\"doc\":\"文档\"}\n"
                + "{\"id\":\"b\",\"instruction\":\"问\",\"doc\":\"" + "长".repeat(40) + "\"}\n", StandardCharsets.UTF_8);
        Path template = dir.resolve("answer.txt");
        Files.writeString(template, "{document}\nQ: {instruction}\n", StandardCharsets.UTF_8);
        Path out = dir.resolve("out.jsonl");
        Path rejects = dir.resolve("rejects.jsonl");
        FakeGenerator g = new FakeGenerator().replying(r -> "答".repeat(5));
        Captured c = run(g, "--model", dir.toString(), "-i", in.toString(), "-o", out.toString(), "--rejects", rejects.toString(),
                "--document-field", "doc", "--budget", "10", "--prompt-template", template.toString(), "--chat-template", "none",
                "--max-tokens", "4", "--keep-truncated", "--progress", "never");
        assertEquals(0, c.code(), c.stderr());
        assertEquals("", c.out());
        assertEquals(1, g.requests.size());
        assertEquals("文档\nQ: 问题很长", g.requests.get(0).prompt(), "cut to the 10-token budget");
        assertEquals(4, g.requests.get(0).sampling().maxTokens());
        JsonNode kept = Json.MAPPER.readTree(Files.readAllLines(out).get(0));
        assertEquals("答答答答", kept.get("output").asText(), "--keep-truncated kept the answer cut at --max-tokens");
        assertEquals("问题很长", kept.get("instruction").asText());
        assertEquals("文档", kept.get("document").asText());
        assertEquals("文档", kept.get("doc").asText());
        JsonNode dropped = Json.MAPPER.readTree(Files.readAllLines(rejects).get(0));
        assertEquals("document_too_long", dropped.get("reason").asText());
    }

    @Test
    void defaultsAreTheMethods() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"instruction\":\"问\",\"output\":\"文档\"}\n", StandardCharsets.UTF_8);
        FakeGenerator g = new FakeGenerator().replying(r -> "答");
        Captured c = run(g, "--model", dir.toString(), "-i", in.toString(), "-o", dir.resolve("o.jsonl").toString(), "--progress", "never");
        assertEquals(0, c.code(), c.stderr());
        assertEquals(AnswerPrompt.render("文档", "问"), g.requests.get(0).prompt());
        assertEquals(SamplingParams.kun().withStopStrings(ChatFormat.METHOD_STOPS), g.requests.get(0).sampling());
    }

    @Test
    void badValuesAreUsageErrors() {
        for (String[] b : new String[][] {{"--budget", "0"}, {"--document-field", ""}, {"--chat-template", "x"}}) {
            FakeGenerator g = new FakeGenerator();
            Captured c = run(g, "--model", dir.toString(), b[0], b[1]);
            assertEquals(ExitCodes.USAGE, c.code(), String.join(" ", b) + c.stderr());
            assertTrue(g.requests.isEmpty());
        }
    }
}
