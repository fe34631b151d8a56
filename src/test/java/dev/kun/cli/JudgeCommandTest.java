package dev.kun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.error.ExitCodes;
import dev.kun.generate.SamplingParams;
import dev.kun.prompt.ChatFormat;
import dev.kun.prompt.HumpbackPrompt;
import dev.kun.prompt.PointPrompt;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import dev.kun.testing.FakeGenerator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Option parsing and wiring of {@code kun judge}, with a fake generator (the real engine: ModelStagesEndToEndTest). */
class JudgeCommandTest {
    @TempDir Path dir;

    private Captured run(FakeGenerator g, String... args) {
        return Captured.run(new byte[0], () -> StageCommands.execute(new JudgeCommand(spec -> g, spec -> {
            throw new AssertionError("no scorer in generate mode");
        }), args));
    }

    private Path pairs() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"id\":\"a\",\"instruction\":\"问一\",\"output\":\"答一\"}\n"
                + "{\"id\":\"b\",\"instruction\":\"问二\",\"output\":\"答二\"}\n", StandardCharsets.UTF_8);
        return in;
    }

    @Test
    void kunByDefaultKeepsGoodAndRejectsTheRest() throws Exception {
        FakeGenerator g = new FakeGenerator().replying(r -> r.prompt().contains("问一") ? "【好】" : "嗯");
        Path out = dir.resolve("out.jsonl");
        Path rejects = dir.resolve("rejects.jsonl");
        Captured c = run(g, "--model", dir.toString(), "-i", pairs().toString(), "-o", out.toString(), "--rejects",
                rejects.toString(), "--progress", "never");
        assertEquals(0, c.code(), c.stderr());
        assertEquals("", c.out());
        assertEquals(PointPrompt.render("问一"), g.requests.get(0).prompt());
        assertEquals(SamplingParams.kun().withStopStrings(ChatFormat.METHOD_STOPS), g.requests.get(0).sampling());
        JsonNode kept = Json.MAPPER.readTree(Files.readAllLines(out).get(0));
        assertEquals("【好】", kept.get("score").asText());
        JsonNode dropped = Json.MAPPER.readTree(Files.readAllLines(rejects).get(0));
        assertEquals("verdict_unparseable", dropped.get("reason").asText());
        assertEquals("嗯", dropped.get("score").asText(), "the raw answer stays with the reject");
    }

    @Test
    void humpbackWithMinScoreAndVicuna() throws Exception {
        FakeGenerator g = new FakeGenerator().replying(r -> r.prompt().contains("问一") ? "ok\nScore: 4" : "Score: 3");
        Path out = dir.resolve("out.jsonl");
        Captured c = run(g, "--model", dir.toString(), "-i", pairs().toString(), "-o", out.toString(), "--template", "humpback",
                "--min-score", "4", "--chat-template", "vicuna", "--temperature", "0.7", "--top-p", "0.9",
                "--repetition-penalty", "1", "--progress", "never");
        assertEquals(0, c.code(), c.stderr());
        assertEquals(ChatFormat.vicuna().render(HumpbackPrompt.TEMPLATE.render(Map.of("generated_instruction", "问一", "response", "答一"))),
                g.requests.get(0).prompt());
        assertEquals(0.7, g.requests.get(0).sampling().temperature());
        List<String> kept = Files.readAllLines(out);
        assertEquals(1, kept.size());
        assertTrue(kept.get(0).contains("\"id\":\"a\""));
    }

    @Test
    void badValuesAreUsageErrors() throws Exception {
        Path template = dir.resolve("t.txt");
        Files.writeString(template, "rate {instruction}", StandardCharsets.UTF_8);
        String[][] bad = {{"--template", "stars"}, {"--verdict-from", "dice"}, {"--template", "humpback", "--min-score", "6"},
            {"--template", "humpback", "--prompt-template", template.toString()}};
        for (String[] b : bad) {
            FakeGenerator g = new FakeGenerator();
            List<String> args = new java.util.ArrayList<>(List.of("--model", dir.toString(), "-i", pairs().toString()));
            args.addAll(List.of(b));
            Captured c = run(g, args.toArray(String[]::new));
            assertEquals(ExitCodes.USAGE, c.code(), String.join(" ", b) + ": " + c.stderr());
            assertTrue(g.requests.isEmpty());
        }
    }
}
