package dev.kun.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.TextGenerator;
import dev.kun.record.Json;
import dev.kun.testing.Captured;
import dev.kun.testing.ForwardingGenerator;
import dev.kun.testing.MethodFakeGenerator;
import dev.kun.testing.TestStages.SimulatedCrash;
import dev.kun.seed.SeedConfig;
import dev.kun.testing.FakeGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

/**
 * kun run from its command line: the settings (the config file and the command line, layered per stage into
 * each stage command's options), and whole runs of the real stages on a fake that plays the method's models.
 */
class RunCommandTest {
    @TempDir Path dir;

    @BeforeAll
    static void noFsync() {
        System.setProperty("kun.fsync", "false");
    }

    @AfterAll
    static void fsyncAgain() {
        System.clearProperty("kun.fsync");
    }

    /** ~30 documents of the sample corpus, each with an id, one of them twice and one without text. */
    private Path corpus() throws Exception {
        List<String> lines = new ArrayList<>(Files.readAllLines(Path.of("data-samples/corpus-cmrc2018.jsonl")));
        int n = 0;
        for (String paragraph : Files.readString(Path.of("data-samples/corpus-cmrc2018.txt")).split("\n\n")) {
            lines.add(Json.MAPPER.createObjectNode().put("id", "txt-" + n++).put("text", paragraph.strip()).toString());
        }
        for (int i = 0; i < 4; i++) {
            lines.add(Json.MAPPER.createObjectNode().put("id", "short-" + i).put("text", "第" + i + "段：一段短短的文字，讲一件小事。").toString());
        }
        lines.add(((ObjectNode) Json.MAPPER.readTree(lines.get(3))).put("id", "again").toString());
        lines.add("{\"id\":\"no-text\",\"title\":\"x\"}");
        Path corpus = dir.resolve("corpus.jsonl");
        Files.writeString(corpus, String.join("\n", lines) + "\n");
        return corpus;
    }

    private static List<String> ids(Path file) throws Exception {
        List<String> ids = new ArrayList<>();
        for (String line : Files.readAllLines(file)) ids.add(Json.MAPPER.readTree(line).get("id").asText());
        return ids;
    }

    /** Runs kun run with these openers; stdout and stderr captured. */
    private static Captured kunRun(Function<BackendSpec, TextGenerator> generators, String... args) {
        return Captured.run(new byte[0], () -> {
            CommandLine cli = new CommandLine(new RunCommand(generators, spec -> {
                throw new AssertionError("no stage scores here");
            }));
            cli.setCaseInsensitiveEnumValuesAllowed(true);
            cli.setExitCodeExceptionMapper(e -> e instanceof KunException k ? k.exitCode() : ExitCodes.INTERNAL);
            cli.setExecutionExceptionHandler((e, c, parsed) -> {
                if (e instanceof KunException k) {
                    c.getErr().println("kun: " + k.getMessage());
                    return k.exitCode();
                }
                throw e;
            });
            return cli.execute(args);
        });
    }

    private String[] runArgs(Path corpus, String... extra) {
        List<String> args = new ArrayList<>(List.of("-i", corpus.toString(), "--work-dir", dir.resolve("w").toString(),
                "-o", dir.resolve("final.jsonl").toString(), "--model", dir.resolve("model").toString(),
                "--on-error", "skip", "--checkpoint-every", "4", "--progress", "never"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void theMethodsStagesTurnTheCorpusIntoADatasetAndALedgerThatAccountForEveryDocumentOnce() throws Exception {
        Path corpus = corpus();
        List<MethodFakeGenerator> opened = new ArrayList<>();
        Captured c = kunRun(spec -> {
            MethodFakeGenerator g = new MethodFakeGenerator();
            opened.add(g);
            return g;
        }, runArgs(corpus, "--format", "jsonl"));
        assertEquals(0, c.code(), c.stderr());
        assertEquals(1, opened.size(), "label, judge and polish share one model, loaded once");

        List<String> inFinal = ids(dir.resolve("final.jsonl"));
        List<String> inLedger = new ArrayList<>();
        Map<String, Integer> byStage = new java.util.TreeMap<>();
        for (String line : Files.readAllLines(dir.resolve("w/rejects.jsonl"))) {
            JsonNode r = Json.MAPPER.readTree(line);
            inLedger.add(r.get("id").asText());
            byStage.merge(r.get("stage").asText() + "/" + r.get("reason").asText(), 1, Integer::sum);
        }
        List<String> all = new ArrayList<>(inFinal);
        all.addAll(inLedger);
        List<String> expected = ids(corpus);
        assertEquals(expected.size(), all.size(), "each document once: " + byStage);
        assertEquals(new java.util.TreeSet<>(expected), new java.util.TreeSet<>(all));
        assertTrue(inFinal.size() >= 5, "a real funnel reaches the end: " + inFinal.size());
        for (String reason : List.of("seed/duplicate_exact", "seed/missing_field", "instruction_rules/instruction_keyword",
                "judge/verdict_bad", "output_rules/output_keyword")) {
            assertTrue(byStage.containsKey(reason), reason + " in " + byStage);
        }
        // The judge's raw answer is in its rejects; the final records went through every model.
        for (String line : Files.readAllLines(dir.resolve("w/04-judge.rejects.jsonl"))) {
            assertEquals("【差】", Json.MAPPER.readTree(line).get("score").asText());
        }
        for (String line : Files.readAllLines(dir.resolve("final.jsonl"))) {
            JsonNode r = Json.MAPPER.readTree(line);
            assertEquals("【好】", r.get("score").asText());
            assertTrue(r.get("output").asText().startsWith("这个话题的要点如下"), r.toString());
            assertTrue(r.get("kun").has("label") && r.get("kun").has("judge") && r.get("kun").has("polish"));
        }
        JsonNode report = Json.MAPPER.readTree(dir.resolve("w/report.json").toFile());
        assertTrue(report.get("accounted").get("balanced").asBoolean());
        assertEquals("tokens", report.get("stages").get(1).get("generation").get("unit").asText());
        assertTrue(c.stderr().contains("shared by label, judge, polish"), c.stderr());

        Captured again = kunRun(spec -> new MethodFakeGenerator(), runArgs(corpus, "--format", "jsonl"));
        assertEquals(0, again.code(), again.stderr());
        for (String file : List.of("01-seed", "02-label", "03-instruction_rules", "04-judge", "05-polish", "06-output_rules")) {
            assertTrue(again.stderr().contains(file + ".jsonl is already complete"), again.stderr());
        }
    }

    @Test
    void theFinalDatasetIsAlpacaByDefault() throws Exception {
        Captured c = kunRun(spec -> new MethodFakeGenerator(), runArgs(corpus()));
        assertEquals(0, c.code(), c.stderr());
        for (String line : Files.readAllLines(dir.resolve("final.jsonl"))) {
            JsonNode r = Json.MAPPER.readTree(line);
            assertEquals(List.of("instruction", "input", "output"), iterable(r.fieldNames()));
        }
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    @Test
    void eachStageGetsItsOwnModelWhenTheCommandLineSaysSo() throws Exception {
        List<String> models = new ArrayList<>();
        Captured c = kunRun(spec -> {
            models.add(spec.model().getFileName().toString());
            return new MethodFakeGenerator();
        }, runArgs(corpus(), "--judge-model", dir.resolve("point-model").toString()));
        assertEquals(0, c.code(), c.stderr());
        assertEquals(List.of("model", "point-model"), models, "label's model serves polish too; judge's is its own");
    }

    @Test
    void aCrashInAModelStageResumesToTheSameDatasetAndLedger() throws Exception {
        Path corpus = corpus();
        assertEquals(0, kunRun(spec -> new MethodFakeGenerator(), runArgs(corpus)).code());
        byte[] fin = Files.readAllBytes(dir.resolve("final.jsonl"));
        byte[] ledger = Files.readAllBytes(dir.resolve("w/rejects.jsonl"));
        // Batches of 4 records (checkpoints every 4): call 9 is judge's (label's 30 records took 8).
        assertThrows(SimulatedCrash.class, () -> kunRun(spec -> new ForwardingGenerator(new MethodFakeGenerator()) {
            int calls;

            @Override
            public List<Generation> generate(List<GenerationRequest> requests) {
                if (++calls == 10) throw new SimulatedCrash();
                return super.generate(requests);
            }
        }, runArgs(corpus, "--force")));
        assertFalse(Files.exists(dir.resolve("final.jsonl")));
        assertTrue(Files.exists(dir.resolve("w/04-judge.jsonl.checkpoint")), "the crash came in judge, after a checkpoint");
        Captured resumed = kunRun(spec -> new MethodFakeGenerator(), runArgs(corpus));
        assertEquals(0, resumed.code(), resumed.stderr());
        assertArrayEquals(fin, Files.readAllBytes(dir.resolve("final.jsonl")));
        assertArrayEquals(ledger, Files.readAllBytes(dir.resolve("w/rejects.jsonl")));
    }

    @Test
    void aResumeUnderOtherSamplingIsRefusedWithAHint() throws Exception {
        Path corpus = corpus();
        assertEquals(0, kunRun(spec -> new MethodFakeGenerator(), runArgs(corpus)).code());
        Captured hotter = kunRun(spec -> new MethodFakeGenerator(), runArgs(corpus, "--temperature", "0.9"));
        assertEquals(ExitCodes.USAGE, hotter.code(), hotter.stderr());
        assertTrue(hotter.stderr().contains("02-label.jsonl.checkpoint") && hotter.stderr().contains("--force"), hotter.stderr());
    }

    /** A model stage's options as kun label's has them: the backend and the sampling. */
    static final class ModelStage {
        @Mixin BackendOptions backend;
        @Mixin SamplingOptions sampling;
    }

    /** A RunCommand parsed from {@code args} (plus the required ones), without running it. */
    private static RunCommand parsed(String... args) {
        RunCommand command = new RunCommand(spec -> new FakeGenerator(), spec -> null);
        CommandLine cli = new CommandLine(command);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        List<String> all = new ArrayList<>(List.of("-i", "in.jsonl", "-o", "final.jsonl", "--work-dir", "w"));
        all.addAll(List.of(args));
        cli.parseArgs(all.toArray(String[]::new));
        return command;
    }

    private PipelineConfig config(String yaml) throws Exception {
        Path file = dir.resolve("pipeline.yaml");
        Files.writeString(file, yaml);
        return PipelineConfig.load(file);
    }

    private static ModelStage modelStage(RunCommand run, String name, PipelineConfig file) {
        return StageOptions.parse(new ModelStage(), name, run.modelLayers(name, file), Set.of());
    }

    @Test
    void aStageSettingBeatsTheCommandLinesSharedOneWhichBeatsTheFilesShared() throws Exception {
        PipelineConfig file = config("""
                model: shared-model
                temperature: 0.1
                top_p: 0.5
                max_tokens: 100
                stop: ["A", "B"]
                stages:
                  judge:
                    temperature: 0.0
                    max_tokens: 8
                  polish:
                    model: polish-model
                """);
        RunCommand run = parsed("--temperature", "0.7", "--stop", "C", "--seed", "9", "--batch-size", "4", "--label-model", "L");

        ModelStage label = modelStage(run, "label", file);
        assertEquals(Path.of("L"), label.backend.model(), "--label-model beats everything");
        assertEquals(4, label.backend.batchSize());
        SamplingParams labelSampling = label.sampling.toParams();
        assertEquals(0.7, labelSampling.temperature(), "the command line beats the file's top level");
        assertEquals(0.5, labelSampling.topP(), "the file's top level where the command line is silent");
        assertEquals(100, labelSampling.maxTokens());
        assertEquals(List.of("C"), labelSampling.stopStrings(), "a list given on the command line replaces the file's");
        assertEquals(9, label.sampling.seed());

        ModelStage judge = modelStage(run, "judge", file);
        assertEquals(Path.of("shared-model"), judge.backend.model());
        assertEquals(0.0, judge.sampling.toParams().temperature(), "the stage's own setting beats the command line");
        assertEquals(8, judge.sampling.toParams().maxTokens());

        ModelStage polish = modelStage(run, "polish", file);
        assertEquals(Path.of("polish-model"), polish.backend.model());
        assertEquals(0.7, polish.sampling.toParams().temperature());
    }

    @Test
    void everySettingTheModelStagesShareCanBeGivenToKunRun() {
        CommandLine cli = new CommandLine(new RunCommand(spec -> new FakeGenerator(), spec -> null));
        for (String name : RunCommand.sharedSettingNames()) {
            assertTrue(cli.getCommandSpec().findOption(name) != null, name);
        }
        assertTrue(RunCommand.sharedSettingNames().containsAll(List.of("--model", "--temperature", "--stop", "--seed")));
    }

    @Test
    void relativePathsInTheFileAreTheFilesNeighbours() throws Exception {
        Files.createDirectories(dir.resolve("tiny-model"));
        Files.writeString(dir.resolve("my-rules.json"), "{\"rules\": [{\"rule\": \"instruction_trim\"}]}");
        PipelineConfig file = config("""
                model: tiny-model
                stages:
                  label: {}
                  output_rules: {rules: my-rules.json}
                  instruction_rules: {rules: instruction}
                """);
        RunCommand run = parsed();
        assertEquals(dir.resolve("tiny-model"), modelStage(run, "label", file).backend.model());
        assertEquals(dir.resolve("my-rules.json").toString(), run.ruleStage("output_rules", "output", file).rules);
        assertEquals("instruction", run.ruleStage("instruction_rules", "instruction", file).rules, "a named set stays a name");
        assertEquals("output", run.ruleStage("output_rules", "output", config("{}")).rules, "the method's set by default");
    }

    @Test
    void theSeedStageIsConfiguredAsKunSeed() throws Exception {
        PipelineConfig file = config("""
                stages:
                  seed: {min_chars: 20, dedup: exact, nfkc: true, text_field: body}
                """);
        SeedConfig seed = parsed().seedStage(file).config();
        assertEquals(20, seed.minChars());
        assertEquals(SeedConfig.Dedup.EXACT, seed.dedup());
        assertTrue(seed.nfkc());
        assertEquals("body", seed.textField());
        assertEquals(SeedConfig.defaults(), parsed().seedStage(config("")).config());
    }

    @Test
    void unknownSettingsStagesAndValuesAreUsageErrorsNamingTheirPlace() throws Exception {
        RunCommand run = parsed();
        KunException stage = assertThrows(KunException.class, () -> run.seedStage(config("stages: {lable: {}}")));
        assertTrue(stage.getMessage().contains("no stage 'lable'"), stage.getMessage());
        KunException key = assertThrows(KunException.class, () -> run.seedStage(config("stages: {seed: {min_char: 3}}")));
        assertTrue(key.getMessage().contains("stages.seed: seed has no setting 'min_char'")
                && key.getMessage().contains("min_chars"), key.getMessage());
        KunException io = assertThrows(KunException.class, () -> run.seedStage(config("stages: {seed: {output: x.jsonl}}")));
        assertTrue(io.getMessage().contains("no setting 'output'"), "a stage's files are the run's: " + io.getMessage());
        KunException invert = assertThrows(KunException.class, () -> run.seedStage(config("stages: {seed: {invert: true}}")));
        assertTrue(invert.getMessage().contains("no setting 'invert'"), invert.getMessage());
        KunException value = assertThrows(KunException.class, () -> run.seedStage(config("stages: {seed: {min_chars: many}}")));
        assertEquals(ExitCodes.USAGE, value.exitCode());
        assertTrue(value.getMessage().startsWith("seed: ") && value.getMessage().contains("many"), value.getMessage());
        KunException top = assertThrows(KunException.class, () -> run.modelLayers("label", config("model: m\nmin_chars: 3")));
        assertTrue(top.getMessage().contains("no top-level setting 'min_chars'"), top.getMessage());
        KunException noModel = assertThrows(KunException.class, () -> run.modelLayers("judge", config("temperature: 0")));
        assertTrue(noModel.getMessage().contains("judge needs a model"), noModel.getMessage());
        KunException yaml = assertThrows(KunException.class, () -> config("stages: [unclosed"));
        assertTrue(yaml.getMessage().startsWith("--config " + dir.resolve("pipeline.yaml")), yaml.getMessage());
    }
}
