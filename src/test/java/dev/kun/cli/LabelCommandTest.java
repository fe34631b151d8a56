package dev.kun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.error.ExitCodes;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.Seeds;
import dev.kun.prompt.ChatFormat;
import dev.kun.prompt.LabelPrompt;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import dev.kun.testing.FakeGenerator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Option parsing and wiring of {@code kun label}, with a fake backend (the real one: ModelStagesEndToEndTest). */
class LabelCommandTest {
    @TempDir Path dir;

    private static final class Harness {
        final FakeGenerator generator = new FakeGenerator().replying(r -> " 问题 ");
        BackendSpec opened;

        Captured run(String... args) {
            LabelCommand command = new LabelCommand(options -> {
                opened = options;
                return generator;
            });
            return Captured.run(new byte[0], () -> StageCommands.execute(command, args));
        }
    }

    private static List<JsonNode> lines(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) out.add(Json.MAPPER.readTree(line));
        return out;
    }

    @Test
    void everyOptionReachesTheStage() throws Exception {
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, "{\"id\":\"a\",\"body\":\"文档一\"}\n{\"id\":\"b\",\"body\":\"文档二\"}\n", StandardCharsets.UTF_8);
        Path template = dir.resolve("t.txt");
        Files.writeString(template, "RESPONSE: {document} INSTRUCTION:\n", StandardCharsets.UTF_8);
        Path out = dir.resolve("out.jsonl");
        Harness h = new Harness();
        Captured c = h.run("--model", dir.resolve("Kun-LabelModel").toString(), "-i", in.toString(), "-o", out.toString(),
                "--text-field", "body", "--keep-prompt", "--prompt-template", template.toString(), "--chat-template", "vicuna",
                "--temperature", "0.7", "--top-p", "0.9", "--repetition-penalty", "1", "--max-tokens", "64", "--stop", "###",
                "--seed", "9", "--batch-size", "2", "--progress", "never");
        assertEquals(0, c.code(), c.stderr());
        assertEquals("", c.out(), "data goes to the file");
        assertEquals(2, h.opened.batchSize());
        SamplingParams expected = new SamplingParams(0.7, 0.9, 0, 1, 64,
                List.of("<|im_end|>", "<|endoftext|>", "</s>", "###"), List.of());
        GenerationRequest first = h.generator.requests.get(0);
        assertEquals(expected, first.sampling());
        assertEquals(Seeds.forRecord(9, "a"), first.seed());
        assertEquals(ChatFormat.vicuna().render("RESPONSE: 文档一 INSTRUCTION:"), first.prompt());
        List<JsonNode> written = lines(out);
        assertEquals("问题", written.get(0).get("instruction").asText());
        assertEquals("文档一", written.get(0).get("output").asText());
        assertEquals(first.prompt(), written.get(0).get("use_prompt").asText());
        assertEquals("Kun-LabelModel", written.get(0).at("/kun/label/model").asText());
        assertTrue(h.generator.closed);
    }

    @Test
    void defaultsAreTheMethodsPromptAndSampling() throws Exception {
        Path in = dir.resolve("in.txt");
        Files.writeString(in, "第一段。\n\n第二段。\n", StandardCharsets.UTF_8);
        Harness h = new Harness();
        Path out = dir.resolve("out.jsonl");
        assertEquals(0, h.run("--model", dir.toString(), "-i", in.toString(), "-o", out.toString(), "--progress", "never").code());
        assertEquals(LabelPrompt.render("第一段。"), h.generator.requests.get(0).prompt(), "plain text lands in --text-field");
        assertEquals(SamplingParams.kun().withStopStrings(ChatFormat.METHOD_STOPS), h.generator.requests.get(0).sampling());
        assertTrue(!lines(out).get(0).has("use_prompt"));
    }

    @Test
    void badTemplatesAndValuesAreUsageErrorsBeforeTheModelLoads() throws Exception {
        Path template = dir.resolve("t.txt");
        Files.writeString(template, "no placeholder here", StandardCharsets.UTF_8);
        String[][] bad = {
            {"--prompt-template", template.toString()}, {"--prompt-template", dir.resolve("missing.txt").toString()},
            {"--chat-template", "chatml"}, {"--temperature", "-1"}, {"--text-field", ""},
        };
        for (String[] b : bad) {
            Harness h = new Harness();
            Captured c = h.run("--model", dir.toString(), "-i", template.toString(), b[0], b[1]);
            assertEquals(ExitCodes.USAGE, c.code(), String.join(" ", b) + ": " + c.stderr());
            assertEquals(1, c.stderr().lines().count(), c.stderr());
            assertEquals(null, h.opened, "the model was not opened");
        }
    }
}
