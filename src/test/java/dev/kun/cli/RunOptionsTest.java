package dev.kun.cli;

import dev.kun.error.ExitCodes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.Kun;
import dev.kun.pipeline.OnError;
import dev.kun.pipeline.ProgressMode;
import dev.kun.pipeline.RunConfig;
import dev.kun.pipeline.StageRunner;
import dev.kun.record.InputFormat;
import dev.kun.record.ReadOptions;
import dev.kun.record.SplitMode;
import dev.kun.testing.TestStageCommand;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every shared option, parsed by picocli, reaches the runner's configuration. */
class RunOptionsTest {

    private static RunConfig parse(String... args) {
        TestStageCommand command = new TestStageCommand();
        CommandLine cli = Kun.commandLine(command);
        String[] full = new String[args.length + 1];
        full[0] = "test-stage";
        System.arraycopy(args, 0, full, 1, args.length);
        cli.parseArgs(full);
        return command.io.runConfig(command.format, null);
    }

    @Test
    void defaults() {
        RunConfig c = parse();
        assertEquals(List.of(), c.inputs(), "no -i means stdin");
        assertNull(c.output());
        assertNull(c.rejects());
        assertNull(c.stats());
        assertEquals(OnError.FAIL, c.onError());
        assertEquals(ProgressMode.AUTO, c.progress());
        assertEquals(1000, c.checkpointEvery());
        assertFalse(c.force());
        assertEquals(new ReadOptions(InputFormat.AUTO, SplitMode.PARAGRAPH, "text", 16L << 20), c.read());
    }

    @Test
    void everyOptionArrives() {
        RunConfig c = parse("-i", "a.jsonl", "--input", "dir", "-i", "-", "-o", "out.jsonl.gz", "--rejects", "r.jsonl",
                "--stats", "s.json", "--on-error", "skip", "--progress", "always", "--max-line-bytes", "4096",
                "--checkpoint-every", "50", "--force", "--input-format", "text", "--split", "line");
        assertEquals(List.of("a.jsonl", "dir", "-"), c.inputs());
        assertEquals(Path.of("out.jsonl.gz"), c.output());
        assertEquals(Path.of("r.jsonl"), c.rejects());
        assertEquals(Path.of("s.json"), c.stats());
        assertEquals(OnError.SKIP, c.onError());
        assertEquals(ProgressMode.ALWAYS, c.progress());
        assertTrue(c.force());
        assertEquals(50, c.checkpointEvery());
        assertEquals(new ReadOptions(InputFormat.TEXT, SplitMode.LINE, "text", 4096), c.read());
        assertEquals("prompt", new StageRunner(c).plainTextField("prompt").config().read().textField());
    }

    @Test
    void badValuesAreUsageErrors() {
        for (String[] args : new String[][] {
            {"test-stage", "--on-error", "ignore"},
            {"test-stage", "--checkpoint-every", "0"},
            {"test-stage", "--split", "sentence"},
        }) {
            int code = dev.kun.testing.Captured.run(new byte[0], () -> TestStageCommand.kun(args)).code();
            assertEquals(ExitCodes.USAGE, code, String.join(" ", args));
        }
    }
}
