package dev.kun.testing;

import dev.kun.Kun;
import dev.kun.cli.InputFormatOptions;
import dev.kun.cli.IoOptions;
import dev.kun.pipeline.Stage;
import dev.kun.pipeline.StageRunner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A subcommand wired exactly as a real stage command is, over the test stages, so the CLI, the
 * runner and resume are tested end to end through picocli; also a main() for kill -9 tests.
 */
@Command(name = "test-stage", mixinStandardHelpOptions = true)
public final class TestStageCommand implements Callable<Integer> {
    @Mixin public IoOptions io;
    @Mixin public InputFormatOptions format;

    @Option(names = "--stage") String stage = "identity";
    @Option(names = "--batch") int batch = 1;
    @Option(names = "--crash-after") long crashAfter = Long.MAX_VALUE;
    @Option(names = "--sleep-millis") long sleepMillis;
    @Option(names = "--settings") String settings = "";

    @Override
    public Integer call() {
        Stage s = switch (stage) {
            case "dedup" -> TestStages.dedup(batch, crashAfter);
            case "passthrough" -> TestStages.passthrough(crashAfter);
            default -> TestStages.identity();
        };
        Stage run = sleepMillis == 0 && settings.isEmpty() ? s
                : ForwardingStage.of(s).sleepMillis(sleepMillis).fingerprintSuffix(settings);
        return new StageRunner(io.runConfig(format, null)).run(run);
    }

    /** `kun` with this command added. */
    public static int kun(String... args) {
        return Kun.commandLine(new TestStageCommand()).execute(args);
    }

    /** Child-process entry point for the kill -9 test: {@code kun test-stage ...}. */
    public static void main(String[] args) {
        System.exit(kun(args));
    }
}
