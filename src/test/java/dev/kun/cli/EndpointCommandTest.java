package dev.kun.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.Kun;
import dev.kun.backend.Backends;
import dev.kun.error.ExitCodes;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.EndpointSpec;
import dev.kun.generate.Tokenizer;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import dev.kun.testing.FakeGenerator;
import dev.kun.testing.FakeOpenAiServer;
import dev.kun.testing.FakeOpenAiServer.Drop;
import dev.kun.testing.FakeOpenAiServer.Stall;
import dev.kun.testing.FakeOpenAiServer.Status;
import dev.kun.testing.TinyCheckpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code kun generate --endpoint} through Kun.run against fake servers that fail in every way a server
 * fails: every record ends in the output or the rejects exactly once, and the output is a fault-free run's.
 */
class EndpointCommandTest {
    static final int RECORDS = 60;
    @TempDir Path dir;
    Path input;
    final List<FakeOpenAiServer> servers = new ArrayList<>();

    @BeforeEach
    void prompts() throws Exception {
        input = dir.resolve("prompts.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < RECORDS; i++) {
            sb.append("{\"id\":\"r").append(i).append("\",\"prompt\":\"p").append(i).append(" 问题 😀\",\"n\":").append(i).append("}\n");
        }
        Files.writeString(input, sb.toString(), StandardCharsets.UTF_8);
    }

    @AfterEach
    void stop() {
        servers.forEach(FakeOpenAiServer::close);
    }

    private FakeOpenAiServer server() throws Exception {
        FakeOpenAiServer s = FakeOpenAiServer.start();
        servers.add(s);
        return s;
    }

    /** generate on the prompts at {@code url}; {@code extra} (name, value pairs) add or replace options. */
    private String[] args(String url, Path out, String... extra) {
        Map<String, String> options = new LinkedHashMap<>();
        if (url != null) options.put("--endpoint", url);
        options.put("-i", input.toString());
        options.put("-o", out.toString());
        options.put("--progress", "never");
        options.put("--max-tokens", "12");
        options.put("--seed", "3");
        options.put("--batch-size", "4");
        options.put("--checkpoint-every", "10");
        for (int i = 0; i < extra.length; i += 2) options.put(extra[i], extra[i + 1]);
        List<String> a = new ArrayList<>(List.of("generate"));
        options.forEach((k, v) -> {
            a.add(k);
            a.add(v);
        });
        return a.toArray(String[]::new);
    }

    private static Captured kun(String... args) {
        return Captured.run(new byte[0], () -> Kun.run(args));
    }

    private static Captured kun(String first, String[] rest) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(rest));
        return kun(all.toArray(String[]::new));
    }

    private static List<JsonNode> read(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        if (!Files.exists(file)) return out;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) out.add(Json.MAPPER.readTree(line));
        return out;
    }

    /** The output of a run against a server that never fails. */
    private byte[] faultFree(String... extra) throws Exception {
        Path out = dir.resolve("fault-free-" + servers.size() + ".jsonl");
        Captured c = kun(args(server().url(), out, extra));
        assertEquals(0, c.code(), c.stderr());
        assertEquals(RECORDS, read(out).size());
        return Files.readAllBytes(out);
    }

    @Test
    void faultsEndInTheOutputExactlyOnceAndTheOutputIsAFaultFreeRuns() throws Exception {
        byte[] expected = faultFree();
        FakeOpenAiServer flaky = server();
        flaky.faults = (body, attempt) -> {
            int i = Integer.parseInt(body.path("prompt").asText().split(" ")[0].substring(1));
            if (attempt == 1) {
                return switch (i % 10) {
                    case 0 -> new Status(429, "{\"message\":\"too many requests\"}", "0");
                    case 1 -> new Status(500, "{\"message\":\"internal error\"}", null);
                    case 2 -> new Status(503, "{\"message\":\"overloaded\"}", null);
                    case 3 -> new Drop();
                    case 4 -> new Stall(1500); // past --endpoint-timeout
                    default -> null;
                };
            }
            if (attempt == 2 && i % 20 == 1) return new Status(502, "<html>bad gateway</html>", null);
            if (attempt == 2 && i % 20 == 3) return new Drop();
            return null;
        };
        // It also goes down for a while (connections refused) after 20 answers.
        flaky.downAfter = 20;
        Thread restart = new Thread(() -> {
            try {
                while (flaky.answered.get() < 20) Thread.sleep(10);
                Thread.sleep(1500);
                flaky.up();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        restart.start();
        Path out = dir.resolve("flaky.jsonl");
        Path rejects = dir.resolve("rejects.jsonl");
        Path stats = dir.resolve("stats.json");
        Captured c = kun(args(flaky.url(), out, "--batch-size", "8", "--checkpoint-every", "30", "--endpoint-timeout", "0.5", "--endpoint-connect-timeout", "1",
                "--endpoint-patience", "30", "--rejects", rejects.toString(), "--stats", stats.toString()));
        restart.join();
        assertEquals(0, c.code(), c.stderr());
        assertArrayEquals(expected, Files.readAllBytes(out), "the output of a fault-free run");
        assertEquals(List.of(), read(rejects), "nothing rejected");
        JsonNode s = Json.MAPPER.readTree(stats.toFile());
        assertEquals(RECORDS, s.get("total").asInt());
        assertEquals(RECORDS, s.get("kept").asInt());
        Set<String> ids = new HashSet<>();
        for (JsonNode r : read(out)) assertTrue(ids.add(r.get("id").asText()), "once: " + r);
        assertEquals(RECORDS, ids.size());
        assertTrue(flaky.requests("/completions").size() > RECORDS + 20, "the faults happened: "
                + flaky.requests("/completions").size() + " requests");
    }

    @Test
    void aServerDownPastThePatienceStopsWithExit4AndTheRerunResumes() throws Exception {
        byte[] expected = faultFree();
        FakeOpenAiServer server = server();
        server.downAfter = 25;
        Path out = dir.resolve("out.jsonl");
        String[] args = args(server.url(), out, "--endpoint-patience", "1", "--endpoint-connect-timeout", "1");
        Captured first = kun(args);
        assertEquals(ExitCodes.BACKEND, first.code(), first.stderr());
        assertTrue(first.stderr().contains(server.url() + ": "), first.stderr());
        assertTrue(first.stderr().contains("connection refused x"), first.stderr());
        assertTrue(first.stderr().contains("rerun the same command to resume"), first.stderr());
        assertEquals(1, first.stderr().lines().filter(l -> l.startsWith("kun: ")).count(), first.stderr());
        assertFalse(Files.exists(out), "no output before the run is complete");
        assertTrue(Files.exists(dir.resolve("out.jsonl.checkpoint")), "the checkpoint to resume from");

        server.up();
        Captured second = kun(args);
        assertEquals(0, second.code(), second.stderr());
        assertTrue(second.stderr().contains("resuming"), second.stderr());
        assertArrayEquals(expected, Files.readAllBytes(out), "resumed, it is the fault-free output");
        // Records answered before the checkpoint were not asked again.
        assertTrue(server.requests("/completions").size() < RECORDS + 25, server.requests("/completions").size() + " requests");
    }

    @Test
    void aPromptOverTheServersContextIsPromptTooLongAndOtherRefusalsAreRejects() throws Exception {
        FakeOpenAiServer server = server();
        server.faults = (body, attempt) -> {
            String prompt = body.path("prompt").asText();
            if (prompt.startsWith("p7 ")) {
                return new Status(400, "{\"object\":\"error\",\"message\":\"This model's maximum context length is 16"
                        + " tokens. However, you requested 30 tokens (18 in the messages, 12 in the completion).\"}", null);
            }
            if (prompt.startsWith("p9 ")) return new Status(400, "{\"object\":\"error\",\"message\":\"no such thing\"}", null);
            return null;
        };
        Path out = dir.resolve("out.jsonl");
        Path rejects = dir.resolve("rejects.jsonl");
        Captured fail = kun(args(server.url(), dir.resolve("strict.jsonl")));
        assertEquals(ExitCodes.BAD_INPUT, fail.code(), "kun generate's prompts are its input: bad input by default");
        assertTrue(fail.stderr().contains("prompts.jsonl:8: This model's maximum context length is 16"), fail.stderr());

        server.seen.clear();
        Captured c = kun(args(server.url(), out, "--on-error", "skip", "--rejects", rejects.toString()));
        assertEquals(0, c.code(), c.stderr());
        assertEquals(RECORDS - 2, read(out).size());
        List<JsonNode> rejected = read(rejects);
        assertEquals(2, rejected.size());
        assertEquals("r7", rejected.get(0).get("id").asText());
        assertEquals("prompt_too_long", rejected.get(0).get("reason").asText());
        assertEquals("r9", rejected.get(1).get("id").asText());
        assertEquals("server_rejected", rejected.get(1).get("reason").asText());
        assertEquals("HTTP 400: no such thing", rejected.get(1).get("error").asText());
        assertEquals(1, server.requests("/completions").stream().filter(s -> s.body().path("prompt").asText().startsWith("p7 "))
                .count(), "never retried");
    }

    @Test
    void aTokenizerRefusesWhatDoesNotFitBeforeSendingAndCutsMaxTokens() throws Exception {
        Path tokenizerFile = TinyCheckpoint.writeTokenizer(Files.createDirectories(dir.resolve("tok")).resolve("tokenizer.json"), 600);
        FakeOpenAiServer server = server();
        server.maxModelLen = 24;
        StringBuilder sb = new StringBuilder();
        sb.append("{\"id\":\"short\",\"prompt\":\"ab\"}\n");
        sb.append("{\"id\":\"long\",\"prompt\":\"").append("x y ".repeat(40)).append("\"}\n");
        Files.writeString(input, sb.toString());
        Path out = dir.resolve("out.jsonl");
        Path rejects = dir.resolve("rejects.jsonl");
        Captured c = kun(args(server.url(), out, "--tokenizer", tokenizerFile.getParent().toString(), "--on-error", "skip",
                "--rejects", rejects.toString(), "--max-tokens", "64"));
        assertEquals(0, c.code(), c.stderr());
        assertEquals("long", read(rejects).get(0).get("id").asText());
        assertEquals("prompt_too_long", read(rejects).get(0).get("reason").asText());
        List<FakeOpenAiServer.Seen> sent = server.requests("/completions");
        assertEquals(1, sent.size(), "the long prompt was refused here, never sent");
        try (Tokenizer tokenizer = Backends.openTokenizer(tokenizerFile)) {
            int bos = tokenizer.bosTokenId().isPresent() ? 1 : 0;
            assertEquals(24 - tokenizer.count("ab") - bos, sent.get(0).body().get("max_tokens").asInt(),
                    "max_tokens cut to what the context leaves, as the engine stops at the context");
        }
        assertEquals("[" + TinyCheckpoint.IM_END + "," + TinyCheckpoint.ENDOFTEXT + "]",
                sent.get(0).body().get("stop_token_ids").toString(), "the engine's end tokens");
    }

    @Test
    void exportWritesABatchFileOnceAndImportReadsItsResultsBack() throws Exception {
        byte[] online = faultFree("--endpoint-model", "fake-model");
        Path batch = dir.resolve("requests.jsonl");
        Path exportOut = dir.resolve("export-out.jsonl");
        Path exportStats = dir.resolve("export-stats.json");
        List<String> exportArgs = List.of(args(null, exportOut, "--export-batch", batch.toString(), "--endpoint-model",
                "fake-model", "--stats", exportStats.toString()));
        Captured c = kun(exportArgs.toArray(String[]::new));
        assertEquals(0, c.code(), c.stderr());
        assertTrue(c.stderr().contains(RECORDS + " requests written"), c.stderr());
        assertEquals(List.of(), read(exportOut), "nothing generated, nothing written");
        assertEquals(RECORDS, Json.MAPPER.readTree(exportStats.toFile()).get("dropped_exported").asInt());
        List<JsonNode> lines = read(batch);
        assertEquals(RECORDS, lines.size());
        JsonNode first = lines.get(0);
        assertEquals("POST", first.get("method").asText());
        assertEquals("/v1/completions", first.get("url").asText());
        assertTrue(first.get("custom_id").asText().matches("kun-[0-9a-f]{32}"), first.toString());
        assertEquals("fake-model", first.get("body").get("model").asText());
        assertEquals(12, first.get("body").get("max_tokens").asInt());

        // A crash mid-line, then the run again: the cut line goes, nothing is written twice.
        Files.writeString(batch, "{\"custom_id\":\"kun-0123", java.nio.file.StandardOpenOption.APPEND);
        List<String> again = new ArrayList<>(exportArgs);
        again.add("--force");
        Captured c2 = kun(again.toArray(String[]::new));
        assertEquals(0, c2.code(), c2.stderr());
        assertTrue(c2.stderr().contains("0 requests written (" + RECORDS + " were there"), c2.stderr());
        assertEquals(RECORDS, Files.readAllLines(batch).size());
        assertTrue(Files.readString(batch).endsWith("}\n"));

        // What a batch runner writes back: one result missing, one failed.
        StringBuilder results = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode line = lines.get(i);
            if (i == 4) continue;
            ObjectNode result = Json.MAPPER.createObjectNode();
            result.put("id", "batch_req_" + i);
            result.put("custom_id", line.get("custom_id").asText());
            if (i == 6) {
                result.putNull("response");
                result.putObject("error").put("code", "400").put("message", "refused by the batch");
            } else {
                ObjectNode response = result.putObject("response");
                response.put("status_code", 200);
                response.put("request_id", "req-" + i);
                response.set("body", FakeOpenAiServer.answer(line.get("body"), "fake-model"));
                result.putNull("error");
            }
            results.append(result).append('\n');
        }
        Path resultsFile = dir.resolve("results.jsonl");
        Files.writeString(resultsFile, results.toString(), StandardCharsets.UTF_8);
        Path imported = dir.resolve("imported.jsonl");
        Path rejects = dir.resolve("rejects.jsonl");
        Captured c3 = kun(args(null, imported, "--import-batch", resultsFile.toString(), "--endpoint-model", "fake-model",
                "--rejects", rejects.toString()));
        assertEquals(0, c3.code(), c3.stderr());
        List<String> expected = new ArrayList<>(List.of(new String(online, StandardCharsets.UTF_8).split("\n")));
        expected.remove(6);
        expected.remove(4);
        assertEquals(expected, Files.readAllLines(imported), "the online run's records, from the batch");
        List<JsonNode> rejected = read(rejects);
        assertEquals("r4", rejected.get(0).get("id").asText());
        assertEquals("missing_from_batch", rejected.get(0).get("reason").asText());
        assertEquals("r6", rejected.get(1).get("id").asText());
        assertEquals("server_rejected", rejected.get(1).get("reason").asText());
        assertTrue(rejected.get(1).get("error").asText().contains("refused by the batch"), rejected.get(1).toString());
    }

    @Test
    void chatSendsMessagesAndReadsTheMessageBack() throws Exception {
        FakeOpenAiServer server = server();
        Files.writeString(input, "{\"id\":\"a\",\"prompt\":\"<|im_start|>user你好<|im_end|>\\n<|im_start|>assistant\\n\"}\n");
        Path out = dir.resolve("out.jsonl");
        Captured c = kun(args(server.url(), out, "--endpoint-api", "chat"));
        assertEquals(0, c.code(), c.stderr());
        FakeOpenAiServer.Seen sent = server.requests("/chat/completions").get(0);
        assertEquals("[{\"role\":\"user\",\"content\":\"你好\"}]", sent.body().get("messages").toString());
        assertTrue(read(out).get(0).get("generation").asText().startsWith("你好|"));
    }

    @Test
    void endpointOptionsReachTheBackendAndTheBatchCoversThePool() throws Exception {
        FakeGenerator generator = new FakeGenerator();
        BackendSpec[] opened = new BackendSpec[1];
        GenerateCommand command = new GenerateCommand(spec -> {
            opened[0] = spec;
            return generator;
        });
        Path tok = Files.createDirectories(dir.resolve("tok"));
        CommandLine cli = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true);
        java.io.StringWriter err = new java.io.StringWriter();
        cli.setErr(new java.io.PrintWriter(err));
        int code = cli.execute("--endpoint", "http://a:8000/v1", "--endpoint", "http://b:8000/v1",
                "--endpoint-api", "chat", "--endpoint-model", "Kun", "--server", "sglang", "--tokenizer", tok.toString(),
                "--endpoint-timeout", "7.5", "--endpoint-connect-timeout", "2", "--endpoint-patience", "60",
                "--batch-size", "3", "--max-context", "100", "-i", input.toString(), "-o", dir.resolve("o.jsonl").toString(),
                "--progress", "never");
        assertEquals(0, code, err.toString());
        EndpointSpec e = opened[0].endpoint();
        assertEquals(List.of("http://a:8000/v1", "http://b:8000/v1"), e.urls());
        assertEquals("chat", e.api());
        assertEquals("Kun", e.model());
        assertEquals("sglang", e.server());
        assertEquals(tok, e.tokenizer());
        assertEquals(7.5, e.requestTimeoutSeconds());
        assertEquals(2, e.connectTimeoutSeconds());
        assertEquals(60, e.patienceSeconds());
        assertNull(e.exportBatch());
        assertNull(opened[0].model(), "--model is not needed with --endpoint");
        assertEquals(3, opened[0].batchSize());
        assertEquals(100, opened[0].maxContext());
        assertEquals(List.of(24, 24, 12), generator.batchSizes, "4 x (3 in flight x 2 servers) per batch");

        FakeGenerator g2 = new FakeGenerator();
        GenerateCommand withModel = new GenerateCommand(spec -> {
            opened[0] = spec;
            return g2;
        });
        assertEquals(0, new CommandLine(withModel).setCaseInsensitiveEnumValuesAllowed(true).execute("--endpoint", "http://a/v1", "--model", tok.toString(),
                "-i", input.toString(), "-o", dir.resolve("o2.jsonl").toString(), "--progress", "never"));
        assertEquals(tok, opened[0].endpoint().tokenizer(), "--model beside --endpoint lends its tokenizer");
    }

    @Test
    void labelJudgeAndPolishRunOnAnEndpointAndRecordTheServedModel() throws Exception {
        FakeOpenAiServer server = server();
        server.model = "Kun-LabelModel";
        Path docs = dir.resolve("docs.jsonl");
        Files.writeString(docs, "{\"id\":\"d1\",\"text\":\"北京是中国的首都。\"}\n{\"id\":\"d2\",\"text\":\"水在零度结冰。\"}\n");
        Path labeled = dir.resolve("labeled.jsonl");
        Captured label = kun("label", "--endpoint", server.url(), "-i", docs.toString(), "-o", labeled.toString(),
                "--progress", "never", "--batch-size", "2");
        assertEquals(0, label.code(), label.stderr());
        List<JsonNode> records = read(labeled);
        assertEquals(2, records.size());
        assertEquals("Kun-LabelModel", records.get(0).path("kun").path("label").path("model").asText(),
                "the served model in the provenance");
        assertTrue(server.requests("/completions").get(0).body().get("prompt").asText().startsWith("<|im_start|>user"),
                "label's ChatML prompt, as rendered");

        Path judged = dir.resolve("judged.jsonl");
        Captured judge = kun("judge", "--endpoint", server.url(), "-i", labeled.toString(), "-o", judged.toString(),
                "--progress", "never", "--on-error", "skip");
        assertEquals(0, judge.code(), judge.stderr());

        Captured polishWithout = kun("polish", "--endpoint", server.url(), "-i", labeled.toString(), "-o",
                dir.resolve("p0.jsonl").toString(), "--progress", "never");
        assertEquals(ExitCodes.USAGE, polishWithout.code(), "polish counts tokens: " + polishWithout.stderr());
        assertTrue(polishWithout.stderr().contains("--tokenizer"), polishWithout.stderr());
        Path tokenizer = TinyCheckpoint.writeTokenizer(Files.createDirectories(dir.resolve("tok")).resolve("tokenizer.json"), 600);
        Path polished = dir.resolve("polished.jsonl");
        Captured polish = kun("polish", "--endpoint", server.url(), "--tokenizer", tokenizer.getParent().toString(),
                "-i", labeled.toString(), "-o", polished.toString(), "--progress", "never", "--on-error", "skip",
                "--keep-truncated");
        assertEquals(0, polish.code(), polish.stderr());
        assertEquals(2, read(polished).size(), polish.stderr());
    }

    @Test
    void kunRunTakesItsEndpointFromTheConfigAndSharesOnePoolBetweenStages() throws Exception {
        FakeOpenAiServer server = server();
        server.model = "Kun-Model";
        server.texts = prompt -> prompt.contains("已知：") ? "北京是中国的首都，也是政治和文化中心。这是一段足够长的回答。"
                : prompt.contains("指令: 【") ? "【好】" : "请介绍北京。";
        Path docs = dir.resolve("docs.jsonl");
        StringBuilder sb = new StringBuilder();
        String[] texts = {"北京是中华人民共和国的首都，也是全国的政治、文化中心。", "水在标准大气压下零摄氏度结冰，一百摄氏度沸腾。",
            "长江是中国最长的河流，全长约六千三百公里。", "熊猫主要生活在四川、陕西和甘肃的山区竹林里。",
            "茶起源于中国，唐代陆羽写下了《茶经》。", "光在真空中的速度约为每秒三十万公里。"};
        for (String t : texts) sb.append("{\"text\":\"").append(t).append("\"}\n");
        Files.writeString(docs, sb.toString());
        Path config = dir.resolve("pipeline.yaml");
        Path tokenizer = TinyCheckpoint.writeTokenizer(Files.createDirectories(dir.resolve("tok")).resolve("tokenizer.json"), 600);
        Files.writeString(config, "endpoint: [" + server.url() + "]\ntokenizer: tok\nbatch_size: 4\n"
                + "stages:\n  polish: {budget: 4096}\n");
        Path fin = dir.resolve("final.jsonl");
        Captured c = kun("run", "-i", docs.toString(), "--config", config.toString(), "--work-dir",
                dir.resolve("w").toString(), "-o", fin.toString(), "--progress", "never");
        assertEquals(0, c.code(), c.stderr());
        assertTrue(c.stderr().contains("shared by label, judge, polish"), c.stderr());
        List<JsonNode> out = read(fin);
        assertEquals(6, out.size(), c.stderr());
        assertEquals("请介绍北京。", out.get(0).get("instruction").asText());
        assertTrue(out.get(0).get("output").asText().startsWith("北京是中国的首都"));
        assertEquals(18, server.requests("/completions").size(), "label, judge and polish, once per document");

        // The same from kun run's own options, and batch files refused (an exporting stage passes nothing on).
        Path fin2 = dir.resolve("final2.jsonl");
        Captured options = kun("run", "-i", docs.toString(), "--endpoint", server.url(), "--tokenizer",
                tokenizer.getParent().toString(), "--config", dir.resolve("polish-budget.yaml").toString(), "--work-dir",
                dir.resolve("w2").toString(), "-o", fin2.toString(), "--progress", "never");
        assertEquals(ExitCodes.USAGE, options.code(), "no such config file: " + options.stderr());
        Files.writeString(dir.resolve("polish-budget.yaml"), "stages:\n  polish: {budget: 4096}\n");
        options = kun("run", "-i", docs.toString(), "--endpoint", server.url(), "--tokenizer", tokenizer.getParent().toString(),
                "--config", dir.resolve("polish-budget.yaml").toString(), "--work-dir", dir.resolve("w2").toString(), "-o",
                fin2.toString(), "--progress", "never");
        assertEquals(0, options.code(), options.stderr());
        assertArrayEquals(Files.readAllBytes(fin), Files.readAllBytes(fin2));
        Captured batch = kun("run", "-i", docs.toString(), "--export-batch", dir.resolve("b.jsonl").toString(),
                "--endpoint-model", "m", "--work-dir", dir.resolve("w3").toString(), "-o", dir.resolve("f3.jsonl").toString());
        assertEquals(ExitCodes.USAGE, batch.code(), batch.stderr());
        assertTrue(batch.stderr().contains("--export-batch goes with one stage's command"), batch.stderr());
    }

    @Test
    void misusedOptionsAreUsageErrorsOnOneLine() {
        String model = dir.toString();
        String[][] bad = {
            {"--endpoint", "http://h/v1", "--device", "cuda"},
            {"--endpoint", "ftp://h/v1"},
            {"--endpoint", "http://h/v1", "--endpoint-api", "responses"},
            {"--endpoint", "http://h/v1", "--server", "ollama"},
            {"--endpoint", "http://h/v1", "--endpoint-timeout", "0"},
            {"--endpoint", "http://h/v1", "--endpoint-patience", "-1"},
            {"--endpoint", "http://h/v1", "--export-batch", "x.jsonl"},
            {"--export-batch", "x.jsonl", "--import-batch", "y.jsonl", "--endpoint-model", "m"},
            {"--export-batch", "x.jsonl"},
            {"--import-batch", "missing.jsonl", "--endpoint-model", "m"},
            {"--model", model, "--tokenizer", model},
        };
        for (String[] b : bad) {
            List<String> args = new ArrayList<>(List.of("generate", "-i", input.toString()));
            args.addAll(List.of(b));
            Captured c = Captured.run(new byte[0], () -> Kun.run(args.toArray(String[]::new)));
            assertEquals(ExitCodes.USAGE, c.code(), String.join(" ", b) + ": " + c.stderr());
            assertEquals(1, c.stderr().lines().count(), c.stderr());
            assertTrue(c.stderr().startsWith("kun: --"), c.stderr());
        }
    }
}
