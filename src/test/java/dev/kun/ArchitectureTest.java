package dev.kun;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The arrows of README's Architecture section, checked on the compiled main classes: {@code Kun} and
 * cli -> stages -> {pipeline, record, prompt, generate}; the engine (model) implements generate's
 * interfaces and only the backend switch knows it; no package cycles anywhere.
 */
class ArchitectureTest {
    /** Stage packages: each is one step of the method and may not import another. */
    static final List<String> STAGES = List.of("seed", "filter", "label", "judge", "polish", "invert");
    /** What stages build on; none of it may import a stage, cli, the backend switch or the engine. */
    static final String[] FOUNDATION = {
        "dev.kun.pipeline..", "dev.kun.record..", "dev.kun.prompt..", "dev.kun.generate..", "dev.kun.error.."
    };

    static JavaClasses classes;

    @BeforeAll
    static void load() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .importPackages("dev.kun");
    }

    private static void check(ArchRule rule) {
        rule.check(classes);
    }

    @Test
    void onlyTheRootImportsCli() {
        check(noClasses().that().resideOutsideOfPackages("dev.kun", "dev.kun.cli..", "dev.kun.run..")
                .should().dependOnClassesThat().resideInAPackage("dev.kun.cli..")
                .because("cli is the outermost layer: only Kun.main builds it"));
    }

    @Test
    void noStageImportsAnotherStage() {
        for (String stage : STAGES) {
            String[] others = STAGES.stream().filter(s -> !s.equals(stage)).map(s -> "dev.kun." + s + "..")
                    .toArray(String[]::new);
            check(noClasses().that().resideInAPackage("dev.kun." + stage + "..")
                    .should().dependOnClassesThat().resideInAnyPackage(others)
                    .allowEmptyShould(true)
                    .because("stages pass records through files and pipes, never through each other's code"));
        }
    }

    @Test
    void theFoundationImportsNoStageNorOuterLayer() {
        String[] outer = STAGES.stream().map(s -> "dev.kun." + s + "..").toArray(String[]::new);
        check(noClasses().that().resideInAnyPackage(FOUNDATION)
                .should().dependOnClassesThat().resideInAnyPackage(outer)
                .orShould().dependOnClassesThat().resideInAnyPackage("dev.kun.cli..", "dev.kun.run..",
                        "dev.kun.backend..", "dev.kun.model..", "dev.kun.openai..", "dev.kun.serve.."));
    }

    @Test
    void onlyTheBackendSwitchKnowsTheImplementations() {
        check(noClasses().that().resideOutsideOfPackages("dev.kun.model..", "dev.kun.backend..", "dev.kun.serve..")
                .should().dependOnClassesThat().resideInAPackage("dev.kun.model..")
                .because("stages and commands hold generate's interfaces; Backends chooses the engine"));
        check(noClasses().that().resideOutsideOfPackages("dev.kun.openai..", "dev.kun.backend..")
                .should().dependOnClassesThat().resideInAPackage("dev.kun.openai..")
                .allowEmptyShould(true));
    }

    @Test
    void theEngineImportsNoStageNorCli() {
        String[] outer = STAGES.stream().map(s -> "dev.kun." + s + "..").toArray(String[]::new);
        check(noClasses().that().resideInAPackage("dev.kun.model..")
                .should().dependOnClassesThat().resideInAnyPackage(outer)
                .orShould().dependOnClassesThat().resideInAnyPackage("dev.kun.cli..", "dev.kun.run..",
                        "dev.kun.backend..", "dev.kun.pipeline.."));
    }

    @Test
    void theEngineIsLayeredByConcern() {
        // cpu at the bottom; then checkpoint; tokenizer; generation (scheduler, sampler, cache); llama on top.
        check(noClasses().that().resideInAPackage("dev.kun.model.cpu..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.kun.model.checkpoint..",
                        "dev.kun.model.tokenizer..", "dev.kun.model.generation..", "dev.kun.model.llama.."));
        check(noClasses().that().resideInAPackage("dev.kun.model.checkpoint..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.kun.model.tokenizer..",
                        "dev.kun.model.generation..", "dev.kun.model.llama.."));
        check(noClasses().that().resideInAPackage("dev.kun.model.generation..")
                .should().dependOnClassesThat().resideInAPackage("dev.kun.model.llama..")
                .because("the scheduler and scorer see a model family only through CausalLm"));
    }

    @Test
    void filterRulesDoNoIo() {
        check(noClasses().that().resideInAPackage("dev.kun.filter..")
                .and().implement("dev.kun.filter.Rule")
                .should().dependOnClassesThat().resideInAnyPackage("java.io..", "java.nio.file..", "java.net..")
                .orShould().dependOnClassesThat().haveSimpleNameEndingWith("Writer")
                .orShould().dependOnClassesThat().haveSimpleNameEndingWith("Reader"));
    }

    @Test
    void noPackageCycles() {
        check(slices().matching("dev.kun.(*)..").should().beFreeOfCycles());
        check(slices().matching("dev.kun.model.(*)..").should().beFreeOfCycles());
    }
}
