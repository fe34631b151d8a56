package dev.kun.cli;

import dev.kun.backend.Backends;
import dev.kun.testing.ForwardingGenerator;
import dev.kun.error.ExitCodes;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.Kun;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.GenerationStream;
import dev.kun.generate.TextGenerator;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import dev.kun.testing.TinyCheckpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code kun generate} through Kun.run on a tiny real checkpoint: output, stop strings, batching, resume. */
class GenerateEndToEndTest {
    @TempDir static Path shared;
    @TempDir Path dir;
    static Path model;
    static Path prompts;

    @BeforeAll
    static void checkpoint() throws Exception {
        model = TinyCheckpoint.builder().gqa(4, 2).vocab(600).maxPositions(128).seed(7).write(shared.resolve("tiny"));
        prompts = shared.resolve("prompts.jsonl");
        StringBuilder sb = new StringBuilder();
        String[] texts = {"the cat", "新闻 材料 图片", "emoji 😀 and 𠀀 surrogate pairs", "回答 指令", "a",
            "longer prompt about the weather in the north", "提取关键词"};
        for (int i = 0; i < texts.length; i++) {
            // Every third record has no id: its seed comes from the prompt text.
            String id = i % 3 == 2 ? "" : "\"id\":\"doc-" + i + "\",";
            sb.append("{").append(id).append("\"prompt\":").append(Json.MAPPER.writeValueAsString(texts[i]))
                    .append(",\"keep\":").append(i).append("}\n");
        }
        Files.writeString(prompts, sb.toString(), StandardCharsets.UTF_8);
    }

    /** generate on the shared prompts; {@code extra} options (name, value pairs) replace the defaults here. */
    private static String[] args(Path out, String... extra) {
        java.util.Map<String, String> options = new java.util.LinkedHashMap<>();
        options.put("--model", model.toString());
        options.put("--device", "cpu");
        options.put("-i", prompts.toString());
        options.put("-o", out.toString());
        options.put("--progress", "never");
        options.put("--max-tokens", "10");
        options.put("--temperature", "0.9");
        options.put("--top-p", "0.9");
        options.put("--seed", "5");
        for (int i = 0; i < extra.length; i += 2) options.put(extra[i], extra[i + 1]);
        List<String> a = new ArrayList<>(List.of("generate"));
        options.forEach((k, v) -> {
            a.add(k);
            a.add(v);
        });
        return a.toArray(String[]::new);
    }

    private static List<JsonNode> read(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) out.add(Json.MAPPER.readTree(line));
        return out;
    }

    @Test
    void writesEachRecordWithItsGenerationCountsAndFinishReason() throws Exception {
        Path out = dir.resolve("out.jsonl");
        Captured c = Captured.run(new byte[0], () -> Kun.run(args(out, "--batch-size", "4")));
        assertEquals(0, c.code(), c.stderr());
        assertEquals("", c.out(), "data goes to the file, nothing to stdout");
        List<JsonNode> records = read(out);
        assertEquals(7, records.size());
        try (TextGenerator tokenizer = dev.kun.model.DjlGenerator.open(model, dev.kun.model.DjlGenerator.Options.defaults())) {
            for (int i = 0; i < records.size(); i++) {
                JsonNode r = records.get(i);
                assertEquals(i, r.get("keep").asInt(), "input fields and order are kept");
                assertEquals(tokenizer.countTokens(r.get("prompt").asText()), r.get("prompt_tokens").asInt());
                int generated = r.get("generated_tokens").asInt();
                assertTrue(generated >= 1 && generated <= 10, r.toString());
                String reason = r.get("finish_reason").asText();
                assertTrue(reason.equals("stop") || reason.equals("length"), r.toString());
                if (reason.equals("length")) assertEquals(10, generated, r.toString());
                assertTrue(r.get("generation").isTextual());
            }
        }
    }

    @Test
    void samplingDoesNotDependOnTheBatchSize() throws Exception {
        Path one = dir.resolve("b1.jsonl");
        Path four = dir.resolve("b4.jsonl");
        Captured c1 = Captured.run(new byte[0], () -> Kun.run(args(one, "--batch-size", "1")));
        assertEquals(0, c1.code(), c1.stderr());
        assertEquals(0, Captured.run(new byte[0], () -> Kun.run(args(four, "--batch-size", "4"))).code());
        assertArrayEquals(Files.readAllBytes(one), Files.readAllBytes(four));
        Path otherSeed = dir.resolve("seed6.jsonl");
        assertEquals(0, Captured.run(new byte[0], () -> Kun.run(args(otherSeed, "--batch-size", "4", "--seed", "6"))).code());
        assertNotEquals(Files.readString(one), Files.readString(otherSeed), "--seed reaches the sampler");
    }

    @Test
    void stopStringEndsTheGenerationBeforeIt() throws Exception {
        Path greedy = dir.resolve("greedy.jsonl");
        assertEquals(0, Captured.run(new byte[0], () -> Kun.run(args(greedy, "--temperature", "0", "--max-tokens", "16"))).code());
        JsonNode full = null;
        for (JsonNode r : read(greedy)) {
            if (r.get("generation").asText().codePointCount(0, r.get("generation").asText().length()) >= 4) {
                full = r;
                break;
            }
        }
        assertTrue(full != null, "some greedy generation has at least 4 characters");
        String text = full.get("generation").asText();
        int cut = text.offsetByCodePoints(0, 2);
        String stop = text.substring(cut, text.offsetByCodePoints(cut, 1));
        String expected = text.substring(0, text.indexOf(stop));
        Path stopped = dir.resolve("stopped.jsonl");
        assertEquals(0, Captured.run(new byte[0], () -> Kun.run(args(stopped, "--temperature", "0", "--max-tokens", "16",
                "--stop", stop))).code());
        for (JsonNode r : read(stopped)) {
            if (r.get("keep").asInt() == full.get("keep").asInt()) {
                assertEquals(expected, r.get("generation").asText());
                assertEquals("stop", r.get("finish_reason").asText());
            }
        }
    }

    /** The real engine, failing on its {@code failOnCall}-th generate call as a crash would. */
    private static GenerateCommand crashingOn(int failOnCall) {
        return new GenerateCommand(options -> new ForwardingGenerator(Backends.openGenerator(options)) {
            int calls;

            @Override
            public List<Generation> generate(List<GenerationRequest> requests) {
                if (++calls == failOnCall) throw new IllegalStateException("simulated crash");
                return inner.generate(requests);
            }
        });
    }

    @Test
    void resumedRunIsByteIdenticalToAnUninterruptedOne() throws Exception {
        Path clean = dir.resolve("clean.jsonl");
        String[] extra = {"--batch-size", "1", "--checkpoint-every", "2"};
        assertEquals(0, Captured.run(new byte[0], () -> Kun.run(args(clean, extra))).code());

        Path resumed = dir.resolve("resumed.jsonl");
        String[] crashArgs = java.util.Arrays.copyOfRange(args(resumed, extra), 1, args(resumed, extra).length);
        Captured crash = Captured.run(new byte[0],
                () -> new CommandLine(crashingOn(3)).setCaseInsensitiveEnumValuesAllowed(true).execute(crashArgs));
        assertNotEquals(0, crash.code());
        assertTrue(crash.stderr().contains("simulated crash"), crash.stderr());
        assertTrue(Files.exists(dir.resolve("resumed.jsonl.checkpoint")), "the crash left a checkpoint: " + crash.stderr());
        assertThrows(java.nio.file.NoSuchFileException.class, () -> Files.readAllBytes(resumed));

        Captured rerun = Captured.run(new byte[0], () -> Kun.run(args(resumed, extra)));
        assertEquals(0, rerun.code(), rerun.stderr());
        assertArrayEquals(Files.readAllBytes(clean), Files.readAllBytes(resumed));
    }

    /**
     * The real engine's stream (the stage hands over each next batch early), failing at its
     * {@code failOnGroup}-th group as a crash would.
     */
    private static GenerateCommand crashingOnGroup(int failOnGroup) {
        return new GenerateCommand(options -> new ForwardingGenerator(Backends.openGenerator(options)) {
            int groups;

            @Override
            public GenerationStream stream(int window) {
                GenerationStream stream = inner.stream(window);
                return new GenerationStream() {
                    @Override
                    public List<CompletableFuture<Generation>> submit(List<GenerationRequest> group) {
                        if (++groups == failOnGroup) throw new IllegalStateException("simulated crash");
                        return stream.submit(group);
                    }

                    @Override
                    public void drain() {
                        stream.drain();
                    }

                    @Override
                    public void close() {
                        stream.close();
                    }
                };
            }
        });
    }

    @Test
    void readingAheadKeepsResumeByteIdentical() throws Exception {
        Path many = dir.resolve("many.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 19; i++) {
            sb.append("{\"id\":\"r").append(i).append("\",\"prompt\":\"prompt number ").append(i).append(" 问题").append("\"}\n");
        }
        Files.writeString(many, sb.toString(), StandardCharsets.UTF_8);
        // Batches of 4 (--batch-size 1, four batches' worth per call), a checkpoint every 8: each batch but
        // the last of a segment goes in with the one before it.
        String[] extra = {"-i", many.toString(), "--batch-size", "1", "--checkpoint-every", "8", "--max-tokens", "12"};
        Path clean = dir.resolve("clean.jsonl");
        Captured c = Captured.run(new byte[0], () -> Kun.run(args(clean, extra)));
        assertEquals(0, c.code(), c.stderr());
        assertEquals(19, read(clean).size());

        Path resumed = dir.resolve("resumed.jsonl");
        String[] all = args(resumed, extra);
        String[] crashArgs = java.util.Arrays.copyOfRange(all, 1, all.length);
        // Group 4 is the second segment's second batch, submitted while the third batch decodes.
        Captured crash = Captured.run(new byte[0],
                () -> new CommandLine(crashingOnGroup(4)).setCaseInsensitiveEnumValuesAllowed(true).execute(crashArgs));
        assertNotEquals(0, crash.code());
        assertTrue(crash.stderr().contains("simulated crash"), crash.stderr());
        assertEquals(8, read(dir.resolve("resumed.jsonl.part")).size(), "the first segment was committed, nothing after it");

        Captured rerun = Captured.run(new byte[0], () -> Kun.run(args(resumed, extra)));
        assertEquals(0, rerun.code(), rerun.stderr());
        assertArrayEquals(Files.readAllBytes(clean), Files.readAllBytes(resumed));
    }

    @Test
    void missingModelIsABackendErrorOnOneLine() {
        Captured c = Captured.run(new byte[0], () -> Kun.run("generate", "--model", dir.resolve("nope").toString(),
                "-i", prompts.toString(), "-o", dir.resolve("o.jsonl").toString()));
        assertEquals(ExitCodes.BACKEND, c.code(), c.stderr());
        assertEquals(1, c.stderr().lines().count(), c.stderr());
    }
}
