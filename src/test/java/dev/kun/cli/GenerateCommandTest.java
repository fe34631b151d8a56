package dev.kun.cli;

import dev.kun.generate.BackendSpec;
import dev.kun.error.ExitCodes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.Seeds;
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
import picocli.CommandLine;

/** Option parsing and wiring of {@code kun generate}, with a fake backend (the real one: GenerateEndToEndTest). */
class GenerateCommandTest {
    @TempDir Path dir;

    /** Runs generate with a FakeGenerator; returns the backend options it was opened with. */
    private static final class Harness {
        final FakeGenerator generator = new FakeGenerator();
        BackendSpec opened;

        int run(String... args) {
            GenerateCommand command = new GenerateCommand(options -> {
                opened = options;
                return generator;
            });
            CommandLine cli = new CommandLine(command);
            cli.setCaseInsensitiveEnumValuesAllowed(true);
            return cli.execute(args);
        }
    }

    private static List<JsonNode> lines(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) out.add(Json.MAPPER.readTree(line));
        return out;
    }

    @Test
    void everyOptionReachesTheBackendOrTheStage() throws Exception {
        Path in = dir.resolve("in.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 13; i++) sb.append("{\"id\":\"r").append(i).append("\",\"q\":\"问题").append(i).append("\"}\n");
        Files.writeString(in, sb.toString());
        Path out = dir.resolve("out.jsonl");
        Path model = Files.createDirectories(dir.resolve("model"));
        Harness h = new Harness();
        int code = h.run("--model", model.toString(), "--device", "cuda:1", "--devices", "0,1", "--dtype", "f16",
                "--batch-size", "3", "--max-context", "77", "--temperature", "0.3", "--top-p", "0.8", "--top-k", "7",
                "--repetition-penalty", "1.3", "--max-tokens", "9", "--seed", "42", "--stop", "A", "--stop", "</s>",
                "--prompt-field", "q", "-i", in.toString(), "-o", out.toString(), "--progress", "never");
        assertEquals(0, code);

        assertEquals(model, h.opened.model());
        assertEquals("cuda:1", h.opened.device());
        assertEquals("0,1", h.opened.devices());
        assertEquals("f16", h.opened.dtype());
        assertEquals(3, h.opened.batchSize());
        assertEquals(77, h.opened.maxContext());

        SamplingParams expected = new SamplingParams(0.3, 0.8, 7, 1.3, 9, List.of("A", "</s>"), List.of());
        assertEquals(13, h.generator.requests.size());
        for (int i = 0; i < 13; i++) {
            GenerationRequest r = h.generator.requests.get(i);
            assertEquals(expected, r.sampling());
            assertEquals("问题" + i, r.prompt(), "--prompt-field");
            assertEquals(Seeds.forRecord(42, "r" + i), r.seed(), "--seed and the record id");
        }
        // --batch-size 3: the runner hands over 4 batches' worth at a time
        assertEquals(List.of(12, 1), h.generator.batchSizes);
        assertTrue(h.generator.closed);

        List<JsonNode> written = lines(out);
        assertEquals(13, written.size());
        JsonNode first = written.get(0);
        assertEquals("r0", first.get("id").asText());
        assertEquals("问题0", first.get("q").asText());
        assertEquals("length", first.get("finish_reason").asText(), "--max-tokens 9 cut the fake's echo");
        assertEquals(9, first.get("generated_tokens").asInt());
        assertEquals(3, first.get("prompt_tokens").asInt());
        String echo = "问题0|" + Seeds.forRecord(42, "r0") + "|0.3";
        assertEquals(echo.substring(0, 9), first.get("generation").asText());
    }

    @Test
    void plainTextIsOnePromptPerLineInThePromptField() throws Exception {
        Path in = dir.resolve("prompts.txt");
        Files.writeString(in, "first prompt\nsecond 😀\n\nthird\n", StandardCharsets.UTF_8);
        Harness h = new Harness();
        Path out = dir.resolve("out.jsonl");
        assertEquals(0, h.run("--model", dir.toString(), "--temperature", "0", "-i", in.toString(), "-o", out.toString(),
                "--progress", "never"));
        List<String> prompts = h.generator.requests.stream().map(GenerationRequest::prompt).toList();
        assertEquals(List.of("first prompt", "second 😀", "third"), prompts);
        List<JsonNode> written = lines(out);
        assertEquals("second 😀", written.get(1).get("prompt").asText());
        assertEquals(0.0, h.generator.requests.get(0).sampling().temperature());
    }

    @Test
    void defaultsAreTheMethodsAndShownInHelp() {
        Harness h = new Harness();
        Captured help = Captured.run(new byte[0], () -> h.run("--help"));
        String text = help.out().replaceAll("\\s+", " ").toLowerCase(java.util.Locale.ROOT);
        for (String s : new String[] {"--temperature=t", "(default: 0.5)", "(default: 0.95)", "(default: 1.2)",
                "(default: 1024)", "(default: auto)", "(default: 16)", "(default: prompt)", "(default: line)"}) {
            assertTrue(text.contains(s), "help shows " + s + ":\n" + text);
        }
        SamplingParams kun = SamplingParams.kun();
        assertEquals(kun, new SamplingOptions().toParams(), "the defaults are the method's sampling");
    }

    @Test
    void outOfRangeValuesAreUsageErrorsOnOneLine() {
        String model = dir.toString();
        String[][] bad = {
            {"--top-p", "0"}, {"--top-p", "1.5"}, {"--temperature", "-1"}, {"--top-k", "-2"},
            {"--repetition-penalty", "0"}, {"--max-tokens", "0"}, {"--batch-size", "0"}, {"--max-context", "-1"},
            {"--stop", ""}, {"--device", "tpu"}, {"--devices", "a,b"}, {"--dtype", "int8"},
        };
        for (String[] b : bad) {
            Captured c = Captured.run("{\"prompt\":\"x\"}\n".getBytes(StandardCharsets.UTF_8),
                    () -> dev.kun.Kun.run("generate", "--model", model, b[0], b[1]));
            assertEquals(ExitCodes.USAGE, c.code(), String.join(" ", b) + ": " + c.stderr());
            assertEquals(1, c.stderr().lines().count(), c.stderr());
            assertTrue(c.stderr().startsWith("kun: " + b[0]), c.stderr());
        }
    }

    @Test
    void modelIsRequired() {
        Captured c = Captured.kun("generate", "-i", "x.jsonl");
        assertEquals(ExitCodes.USAGE, c.code());
        assertTrue(c.stderr().contains("--model"), c.stderr());
    }
}
