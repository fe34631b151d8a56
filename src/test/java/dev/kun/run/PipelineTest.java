package dev.kun.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.filter.OutputFormat;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.TextGenerator;
import dev.kun.pipeline.OnError;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import dev.kun.testing.FakeGenerator;
import dev.kun.testing.ForwardingGenerator;
import dev.kun.testing.TestStages.SimulatedCrash;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole chain over ~30 real documents, with the real seed stage and rule filters and placeholder
 * model stages on a FakeGenerator: every document ends in the final dataset or the ledger exactly once,
 * a crash or a stop anywhere resumes to the very same bytes, the report's numbers are the stages' own.
 */
class PipelineTest {
    static final SamplingParams SAMPLING = new SamplingParams(0.5, 0.95, 0, 1.2, 64, List.of(), List.of());

    @TempDir Path dir;
    Path corpus;
    /** Ids of the input records, each once; the malformed line has none. */
    List<String> ids = new ArrayList<>();

    @BeforeAll
    static void noFsync() {
        System.setProperty("kun.fsync", "false");
    }

    @AfterAll
    static void fsyncAgain() {
        System.clearProperty("kun.fsync");
    }

    @BeforeEach
    void corpus() throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("{\"id\":\"news\",\"text\":\"这是一条新闻的摘要：今天本市的公园里开了很多花，许多市民前来观赏。\"}");
        lines.add("{\"id\":\"xss\",\"text\":\"<script>alert('x')</script> 一段足够长的文字，看报告是否把它当作文字而不是代码。\"}");
        lines.addAll(Files.readAllLines(Path.of("data-samples/corpus-cmrc2018.jsonl")));
        int n = 0;
        for (String paragraph : Files.readString(Path.of("data-samples/corpus-cmrc2018.txt")).split("\n\n")) {
            ObjectNode r = Json.MAPPER.createObjectNode().put("id", "txt-" + n++).put("text", paragraph.strip());
            lines.add(r.toString());
        }
        JsonNode third = Json.MAPPER.readTree(lines.get(4));
        lines.add(((ObjectNode) third.deepCopy()).put("id", "copy-of-" + third.get("id").asText()).toString());
        lines.add("{\"id\":\"no-text\",\"title\":\"没有正文\"}");
        lines.add("{broken json");
        for (String line : lines) {
            if (line.startsWith("{\"id\"")) ids.add(Json.MAPPER.readTree(line).get("id").asText());
        }
        corpus = dir.resolve("corpus.jsonl");
        Files.writeString(corpus, String.join("\n", lines) + "\n");
    }

    /** The final dataset and ledger of an uninterrupted run in work directory {@code name}, which is then removed. */
    private byte[][] reference(String name) throws IOException {
        RunPlan plan = plan(name);
        Captured c = run(pipeline(plan, SAMPLING, spec -> new FakeGenerator()));
        assertEquals(0, c.code(), c.stderr());
        byte[][] files = {Files.readAllBytes(plan.output()), Files.readAllBytes(plan.workDir().resolve("rejects.jsonl")),
            Files.readAllBytes(plan.workDir().resolve("report.json"))};
        delete(plan);
        return files;
    }

    private static void delete(RunPlan plan) throws IOException {
        try (var walk = Files.walk(plan.workDir())) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
        Files.deleteIfExists(plan.output());
        Files.deleteIfExists(plan.output().resolveSibling(plan.output().getFileName() + ".checkpoint"));
    }

    private RunPlan plan(String name) {
        return RunPlan.of(List.of(corpus.toString()), dir.resolve(name), dir.resolve(name + "-final.jsonl"))
                .withFormat(OutputFormat.JSONL).withOnError(OnError.SKIP).withCheckpointEvery(4);
    }

    private Pipeline pipeline(RunPlan plan, SamplingParams sampling, Function<BackendSpec, TextGenerator> opener) {
        return new Pipeline(plan, FakeMethod.steps(dir.resolve("label-model"), dir.resolve("judge-model"), sampling, 7), opener,
                spec -> {
                    throw new AssertionError("no stage here scores");
                });
    }

    private static Captured run(Pipeline p) {
        return Captured.run(new byte[0], p::run);
    }

    private static List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) out.add(Json.MAPPER.readTree(line));
        return out;
    }

    @Test
    void everyDocumentEndsInTheFinalDatasetOrTheLedgerExactlyOnce() throws IOException {
        RunPlan plan = plan("w");
        Captured c = run(pipeline(plan, SAMPLING, spec -> new FakeGenerator()));
        assertEquals(0, c.code(), c.stderr());

        Map<String, Integer> seen = new HashMap<>();
        List<JsonNode> fin = lines(plan.output());
        List<JsonNode> ledger = lines(plan.workDir().resolve("rejects.jsonl"));
        int withoutId = 0;
        for (JsonNode r : fin) seen.merge(r.get("id").asText(), 1, Integer::sum);
        for (JsonNode r : ledger) {
            if (r.has("id")) {
                seen.merge(r.get("id").asText(), 1, Integer::sum);
            } else {
                withoutId++;
                assertEquals("malformed_json", r.get("reason").asText(), r.toString());
            }
        }
        assertEquals(1, withoutId, "the malformed line, which never had an id");
        Map<String, Integer> expected = new HashMap<>();
        ids.forEach(id -> expected.put(id, 1));
        assertEquals(expected, seen);

        // A real funnel: every stage lost something, and something reached the end.
        assertTrue(fin.size() >= 3, "final: " + fin.size());
        List<String> stagesInLedger = ledger.stream().map(r -> r.get("stage").asText()).distinct().toList();
        assertEquals(List.of("seed", "instruction_rules", "judge", "output_rules"), stagesInLedger);
        assertTrue(ledger.stream().anyMatch(r -> r.get("reason").asText().equals("duplicate_exact")
                && r.get("id").asText().startsWith("copy-of-")));
        // A model verdict keeps the model's raw text beside its reason.
        for (JsonNode r : ledger) {
            if (r.get("stage").asText().equals("judge")) assertTrue(r.get("score").asText().startsWith("【差】"), r.toString());
        }
        // The final records went through every model stage.
        for (JsonNode r : fin) {
            assertTrue(r.get("score").asText().startsWith("【好】"));
            assertTrue(r.get("output").asText().startsWith("已知："));
        }
    }

    @Test
    void aStageThatKeepsNothingLeavesTheNextOnesNothingToDo() throws IOException {
        // Seed's records have no instruction: with --on-error skip, the instruction rules take each for bad input.
        List<Step> steps = List.of(
                Step.rules("seed", () -> new dev.kun.seed.SeedStage(dev.kun.seed.SeedConfig.defaults(), null, null)),
                Step.rules("instruction_rules", () -> new dev.kun.filter.FilterStage(dev.kun.filter.RuleSet.load("instruction"),
                        OutputFormat.JSONL, "instruction_rules")),
                Step.rules("output_rules", () -> new dev.kun.filter.FilterStage(dev.kun.filter.RuleSet.load("output"),
                        OutputFormat.JSONL, "output_rules")));
        RunPlan plan = plan("w");
        Captured c = run(new Pipeline(plan, steps, spec -> new FakeGenerator(), spec -> null));
        assertEquals(0, c.code(), c.stderr());
        assertEquals(0, Files.size(plan.output()));
        assertEquals(0, Files.size(plan.workDir().resolve("03-output_rules.jsonl")));
        JsonNode report = Json.MAPPER.readTree(plan.workDir().resolve("report.json").toFile());
        assertEquals(0, report.get("stages").get(2).get("stats").get("total").asLong(), "no records, and no bad input");
        assertTrue(report.get("accounted").get("balanced").asBoolean());
        assertEquals(ids.size() + 1, lines(plan.workDir().resolve("rejects.jsonl")).size());
        Captured again = run(new Pipeline(plan, steps, spec -> new FakeGenerator(), spec -> null));
        assertEquals(0, again.code(), again.stderr());
        assertTrue(again.stderr().contains("03-output_rules.jsonl is already complete"), again.stderr());
    }

    @Test
    void theReportsNumbersAreTheStagesOwnStats() throws IOException {
        RunPlan plan = plan("w");
        assertEquals(0, run(pipeline(plan, SAMPLING, spec -> new FakeGenerator())).code());
        JsonNode report = Json.MAPPER.readTree(plan.workDir().resolve("report.json").toFile());
        assertEquals("complete", report.get("status").asText());
        JsonNode stages = report.get("stages");
        assertEquals(6, stages.size());
        long ledger = 0;
        for (JsonNode s : stages) {
            String stem = String.format("%02d-%s", s.get("index").asInt(), s.get("name").asText());
            JsonNode own = Json.MAPPER.readTree(plan.workDir().resolve(stem + ".stats.json").toFile());
            assertEquals(own, s.get("stats"), stem);
            assertEquals("complete", s.get("state").asText());
            ledger += own.get("dropped").asLong() + own.get("bad_input").asLong();
            if (s.get("index").asInt() > 1) {
                JsonNode before = stages.get(s.get("index").asInt() - 2).get("stats");
                assertEquals(before.get("kept").asLong(), own.get("total").asLong(), "each stage reads what the one before kept");
            }
        }
        assertEquals(ids.size() + 1, stages.get(0).get("stats").get("total").asLong());
        assertEquals(lines(plan.output()).size(), report.get("final").get("records").asLong());
        assertEquals(ledger, report.get("ledger").get("records").asLong());
        assertTrue(report.get("accounted").get("balanced").asBoolean());
        JsonNode label = stages.get(1);
        assertTrue(label.get("stats").get("tokens_out").asLong() > 0);
        assertTrue(label.get("tokens_out_per_second").asDouble() > 0);
        assertEquals(label.get("stats").get("kept").asLong(), label.get("generation").get("count").asLong());
        assertEquals("instruction", label.get("generation").get("field").asText());
        assertEquals(SAMPLING.temperature(), label.get("about").get("sampling").get("temperature").asDouble());
        assertEquals(7, label.get("about").get("seed").asLong());
        assertTrue(label.get("about").get("model").asText().endsWith("label-model"));
        assertTrue(stages.get(2).get("examples").get("rejected").has("instruction_keyword"), stages.get(2).toString());
    }

    @Test
    void thePageIsSelfContainedAndEscapesRecordText() throws IOException {
        RunPlan plan = plan("w");
        assertEquals(0, run(pipeline(plan, SAMPLING, spec -> new FakeGenerator())).code());
        String html = Files.readString(plan.workDir().resolve("report.html"));
        assertFalse(Pattern.compile("(src|href)\\s*=\\s*[\"']?\\s*(https?:)?//", Pattern.CASE_INSENSITIVE).matcher(html).find(),
                "no external resource");
        assertFalse(Pattern.compile("(src|href)\\s*=\\s*[\"']?\\s*http", Pattern.CASE_INSENSITIVE).matcher(html).find());
        assertFalse(html.contains("@import") || html.contains("url("), "no external CSS");
        assertFalse(html.toLowerCase().contains("<script"), "the record's <script> is text, and the page has none of its own");
        assertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), "the record is shown, escaped");
        assertTrue(html.contains("<svg"));
        assertTrue(html.contains("duplicate_exact"));
    }

    /** Throws a simulated crash (an Error, files left as they are) once {@code after} records were generated. */
    private static Function<BackendSpec, TextGenerator> crashingAfter(int after, AtomicInteger generated) {
        return spec -> new ForwardingGenerator(new FakeGenerator()) {
            @Override
            public List<Generation> generate(List<GenerationRequest> requests) {
                if (generated.addAndGet(requests.size()) > after) throw new SimulatedCrash();
                return super.generate(requests);
            }
        };
    }

    @Test
    void aCrashMidStageResumesToTheSameFinalDatasetAndLedger() throws IOException {
        // Rejects name their source file, which lies in the work directory: the runs compared share one.
        byte[][] reference = reference("w");
        // Label's generations come first, then judge's, then polish's: crash halfway through each.
        JsonNode stages = Json.MAPPER.readTree(reference[2]).get("stages");
        int label = stages.get(1).get("stats").get("total").asInt();
        int judge = stages.get(3).get("stats").get("total").asInt();
        int polish = stages.get(4).get("stats").get("total").asInt();
        assertTrue(label > 10 && judge > 10 && polish > 10, stages.toString());
        for (int crashAt : new int[] {label / 2, label + judge / 2, label + judge + polish / 2}) {
            RunPlan plan = plan("w");
            assertThrows(SimulatedCrash.class, () -> run(pipeline(plan, SAMPLING, crashingAfter(crashAt, new AtomicInteger()))));
            assertFalse(Files.exists(plan.output()));
            assertThrows(SimulatedCrash.class, () -> run(pipeline(plan, SAMPLING, crashingAfter(6, new AtomicInteger()))));
            Captured c = run(pipeline(plan, SAMPLING, spec -> new FakeGenerator()));
            assertEquals(0, c.code(), c.stderr());
            assertTrue(c.stderr().contains("already complete"), c.stderr());
            assertArrayEquals(reference[0], Files.readAllBytes(plan.output()), "final at " + crashAt);
            assertArrayEquals(reference[1], Files.readAllBytes(plan.workDir().resolve("rejects.jsonl")), "ledger at " + crashAt);
            JsonNode report = Json.MAPPER.readTree(plan.workDir().resolve("report.json").toFile());
            assertTrue(report.get("accounted").get("balanced").asBoolean());
            delete(plan);
        }
    }

    @Test
    void aStopEndsAtABatchBoundaryAndTheRerunResumes() throws IOException {
        byte[][] reference = reference("w");
        RunPlan plan = plan("w");
        Pipeline[] holder = new Pipeline[1];
        AtomicInteger generated = new AtomicInteger();
        holder[0] = pipeline(plan, SAMPLING, spec -> new ForwardingGenerator(new FakeGenerator()) {
            @Override
            public List<Generation> generate(List<GenerationRequest> requests) {
                if (generated.addAndGet(requests.size()) > 34) holder[0].requestStop(); // in judge
                return super.generate(requests);
            }
        });
        KunException stopped = assertThrows(KunException.class, () -> run(holder[0]));
        assertEquals(ExitCodes.INTERRUPTED, stopped.exitCode());
        JsonNode report = Json.MAPPER.readTree(plan.workDir().resolve("report.json").toFile());
        assertEquals("interrupted", report.get("status").asText());
        assertEquals("complete", report.get("stages").get(2).get("state").asText());
        assertEquals("interrupted", report.get("stages").get(3).get("state").asText());
        assertEquals("pending", report.get("stages").get(4).get("state").asText());
        // The report was refreshed at judge's last checkpoint: its counters are the checkpoint's.
        JsonNode checkpoint = Json.MAPPER.readTree(plan.workDir().resolve("04-judge.jsonl.checkpoint").toFile());
        assertEquals(checkpoint.get("stats").get("total"), report.get("stages").get(3).get("stats").get("total"));
        assertTrue(checkpoint.get("stats").get("total").asLong() > 0);

        Captured c = run(pipeline(plan, SAMPLING, spec -> new FakeGenerator()));
        assertEquals(0, c.code(), c.stderr());
        assertArrayEquals(reference[0], Files.readAllBytes(plan.output()));
        assertArrayEquals(reference[1], Files.readAllBytes(plan.workDir().resolve("rejects.jsonl")));
    }

    @Test
    void aResumeUnderOtherSamplingOrAnotherModelIsRefused() throws IOException {
        RunPlan plan = plan("w");
        assertThrows(SimulatedCrash.class, () -> run(pipeline(plan, SAMPLING, crashingAfter(30, new AtomicInteger()))));
        SamplingParams hotter = new SamplingParams(0.9, 0.95, 0, 1.2, 64, List.of(), List.of());
        KunException e = assertThrows(KunException.class, () -> run(pipeline(plan, hotter, spec -> new FakeGenerator())));
        assertEquals(ExitCodes.USAGE, e.exitCode());
        assertTrue(e.getMessage().contains("02-label.jsonl.checkpoint") && e.getMessage().contains("--force"), e.getMessage());
        KunException other = assertThrows(KunException.class,
                () -> run(pipeline(plan, SAMPLING, spec -> new FakeGenerator().limits(Integer.MAX_VALUE, "another model"))));
        assertEquals(ExitCodes.USAGE, other.exitCode());
        // The same arguments still resume.
        assertEquals(0, run(pipeline(plan, SAMPLING, spec -> new FakeGenerator())).code());
    }

    @Test
    void aModelSharedByStagesIsOpenedOnceAndClosedAfterItsLastStage() throws IOException {
        RunPlan plan = plan("w");
        List<String> events = new ArrayList<>();
        Captured c = run(pipeline(plan, SAMPLING, spec -> {
            String name = spec.model().getFileName().toString();
            events.add("open " + name);
            return new ForwardingGenerator(new FakeGenerator()) {
                @Override
                public void close() {
                    events.add("close " + name);
                }
            };
        }));
        assertEquals(0, c.code(), c.stderr());
        // label and polish share label-model; judge's model is opened after label's stage, and closed after its own.
        assertEquals(List.of("open label-model", "open judge-model", "close judge-model", "close label-model"), events);
    }
}
