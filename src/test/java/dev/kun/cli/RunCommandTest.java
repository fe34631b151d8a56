package dev.kun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.generate.SamplingParams;
import dev.kun.seed.SeedConfig;
import dev.kun.testing.FakeGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

/** kun run's settings: the config file and the command line, layered per stage into each stage command's options. */
class RunCommandTest {
    @TempDir Path dir;

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
        List<String> all = new java.util.ArrayList<>(List.of("-i", "in.jsonl", "-o", "final.jsonl", "--work-dir", "w"));
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
