package dev.kun.filter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kun.pipeline.OnError;
import dev.kun.pipeline.RunConfig;
import dev.kun.pipeline.Stage;
import dev.kun.pipeline.StageRunner;
import dev.kun.testing.Captured;
import dev.kun.testing.ForwardingStage;
import dev.kun.testing.TestStages.SimulatedCrash;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The filter through the shared runner: a run that crashes part-way (rules applied, files left as a
 * kill would leave them) and is rerun ends with the very bytes of an uninterrupted run, rejects included.
 */
class FilterResumeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    /** The filter stage in batches of 3 that dies, like SIGKILL, after {@code crashAfter} records. */
    private static Stage crashing(FilterStage inner, long crashAfter) {
        return ForwardingStage.of(inner).batchSize(3).crashAfter(crashAfter);
    }

    private Path input() throws IOException {
        StringBuilder sb = new StringBuilder();
        String answer = "当遇到同学处于情绪不好的状况时，可以先耐心聆听，再给予关心和具体的帮助。";
        for (int i = 0; i < 80; i++) {
            String instruction = switch (i % 5) {
                case 0 -> "请根据新闻回答" + i;
                case 1 -> "什么是民窿" + i + "？  \n\n什么是民窿" + i + "？";
                case 2 -> "问题" + i + "     -> 问题";
                default -> "问题" + i + "😀";
            };
            String output = i % 7 == 3 ? "抱歉" + answer : i % 11 == 4 ? "短" : answer + i;
            sb.append(JSON.createObjectNode().put("id", "r" + i).put("instruction", instruction).put("input", "")
                    .put("output", output)).append('\n');
            if (i % 23 == 7) {
                sb.append("{\"id\":\"no-output-").append(i).append("\",\"instruction\":\"x\"}\n");
            }
        }
        Path in = dir.resolve("in.jsonl");
        Files.writeString(in, sb);
        return in;
    }

    private RunConfig config(Path in, Path out) {
        return RunConfig.simple(List.of(in.toString()), out).withRejects(out.resolveSibling("rejects.jsonl"))
                .withOnError(OnError.SKIP).withCheckpointEvery(6);
    }

    private static int run(RunConfig config, Stage stage) {
        return Captured.run(new byte[0], () -> new StageRunner(config).run(stage)).code();
    }

    @Test
    void crashedAndRerunFilterIsByteIdenticalToAnUninterruptedRun() throws IOException {
        Path in = input();
        Path reference = Files.createDirectories(dir.resolve("reference")).resolve("out.jsonl");
        assertEquals(0, run(config(in, reference), new FilterStage(RuleSet.load("all"), OutputFormat.JSONL)));
        for (long crashAfter : new long[] {0, 5, 6, 40, 83}) {
            Path out = Files.createDirectories(dir.resolve("crash-" + crashAfter)).resolve("out.jsonl");
            FilterStage stage = new FilterStage(RuleSet.load("all"), OutputFormat.JSONL);
            assertThrows(SimulatedCrash.class, () -> new StageRunner(config(in, out)).run(crashing(stage, crashAfter)));
            assertFalse(Files.exists(out), "no final output after a crash");
            Path checkpoint = out.resolveSibling("out.jsonl.checkpoint");
            if (crashAfter >= 6) {
                // Whole batches of 3 ran before the crash; the last checkpoint (every 6) is where the
                // rerun resumes rather than starting over.
                long processed = crashAfter / 3 * 3;
                assertEquals(processed / 6 * 6, JSON.readTree(checkpoint.toFile()).get("consumed").asLong());
            }
            assertEquals(0, run(config(in, out), new FilterStage(RuleSet.load("all"), OutputFormat.JSONL)));
            assertArrayEquals(Files.readAllBytes(reference), Files.readAllBytes(out), "output after crash at " + crashAfter);
            assertArrayEquals(Files.readAllBytes(reference.resolveSibling("rejects.jsonl")),
                    Files.readAllBytes(out.resolveSibling("rejects.jsonl")), "rejects after crash at " + crashAfter);
        }
        // Every input record (84 lines) is in the output or in rejects exactly once.
        long lines = Files.readAllLines(reference).size() + Files.readAllLines(reference.resolveSibling("rejects.jsonl")).size();
        assertEquals(84, lines);
    }
}
