package dev.kun.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {

    private static String run(boolean terminal, ProgressMode mode, long totalBytes) throws InterruptedException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(b, true, StandardCharsets.UTF_8), terminal, 0, mode, "seed", totalBytes, 0, 0, 0);
        Thread.sleep(5);
        p.update(500, 250, 0);
        p.finish();
        return b.toString(StandardCharsets.UTF_8);
    }

    @Test
    void alwaysWithoutTerminalWritesPlainLinesWithRateAndEta() throws InterruptedException {
        String out = run(false, ProgressMode.ALWAYS, 1000);
        assertTrue(out.matches("seed: 500 records, [\\d,]+/s, 25\\.0%, ETA 0:00:\\d\\d\\n"), out);
    }

    @Test
    void aModelStageShowsGeneratedTokensPerSecond() throws InterruptedException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Progress p = new Progress(new PrintStream(b, true, StandardCharsets.UTF_8), false, 0, ProgressMode.ALWAYS, "label",
                1000, 100, 50, 7000);
        Thread.sleep(5);
        p.update(200, 500, 9000);
        String out = b.toString(StandardCharsets.UTF_8);
        assertTrue(out.matches("label: 200 records, [\\d,]+/s, [\\d,]+ tokens/s, 50\\.0%, ETA 0:00:\\d\\d\\n"), out);
        // The rate counts only this run's tokens (2000 in at least 5 ms), not the resumed run's 7000.
        long rate = Long.parseLong(out.replaceAll(".*, ([\\d,]+) tokens/s.*\\n", "$1").replace(",", ""));
        assertTrue(rate <= 2000 / 0.005, out);
    }

    @Test
    void unknownInputSizeHasNoEta() throws InterruptedException {
        String out = run(false, ProgressMode.ALWAYS, -1);
        assertTrue(out.startsWith("seed: 500 records, ") && !out.contains("ETA"), out);
    }

    @Test
    void terminalRedrawsOneLineAndClearsItAtTheEnd() throws InterruptedException {
        String out = run(true, ProgressMode.AUTO, 1000);
        assertTrue(out.startsWith("\rseed: 500 records"), out);
        assertTrue(out.endsWith("\r\033[K"), out);
        assertFalse(out.contains("\n"));
    }

    @Test
    void quietWhenNotATerminalOrNever() throws InterruptedException {
        assertEquals("", run(false, ProgressMode.AUTO, 1000));
        assertEquals("", run(true, ProgressMode.NEVER, 1000));
    }

    @Test
    void stderrOfTheTestJvmIsNoTerminal() {
        // Surefire pipes stderr: auto must stay quiet there, as in any batch job with 2> log.
        assertFalse(Progress.stderrIsTerminal());
    }

    @Test
    void etaFormat() {
        assertEquals("1:01:01", Progress.duration(3661));
        assertEquals("0:00:00", Progress.duration(0.2));
    }
}
