package dev.kun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.testing.Captured;
import dev.kun.testing.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What goes to stderr besides kun's own lines. */
class StderrLoggingTest {
    @TempDir Path dir;

    @Test
    void aCpuRunPrintsNothingAboutCuda() throws Exception {
        Path model = TinyCheckpoint.builder().layers(1).vocab(600).maxPositions(64).seed(5).write(dir.resolve("tiny"));
        Path prompts = Files.writeString(dir.resolve("p.jsonl"), "{\"id\":\"a\",\"prompt\":\"the cat\"}\n");
        for (String device : new String[] {"cpu", "auto"}) {
            Captured c = Captured.kun("generate", "--model", model.toString(), "--device", device, "-i", prompts.toString(),
                    "--max-tokens", "3", "--progress", "never");
            assertEquals(0, c.code(), c.stderr());
            // DJL probes CUDA on every engine start; on a machine with CUDA libraries but no usable driver it warns.
            assertFalse(c.stderr().toLowerCase(Locale.ROOT).contains("cuda"), c.stderr());
            assertTrue(c.stderr().contains("generate: 1 records"), c.stderr());
        }
    }

    @Test
    void cudaWarningsStayForRunsThatAskForCudaOrForDetail() {
        assertTrue(StderrLogging.asksForCudaOrDetail("generate", "--device", "cuda:1"));
        assertTrue(StderrLogging.asksForCudaOrDetail("generate", "--device=GPU"));
        assertTrue(StderrLogging.asksForCudaOrDetail("generate", "--devices", "0,1"));
        assertTrue(StderrLogging.asksForCudaOrDetail("-v", "generate"));
        assertFalse(StderrLogging.asksForCudaOrDetail("generate", "--device", "cpu"));
        assertFalse(StderrLogging.asksForCudaOrDetail("generate", "--device", "auto", "-i", "cuda.jsonl"));
        assertFalse(StderrLogging.asksForCudaOrDetail("seed", "-i", "x"));
    }
}
