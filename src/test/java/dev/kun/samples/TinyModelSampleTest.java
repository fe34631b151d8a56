package dev.kun.samples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kun.testing.TinyCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code data-samples/tiny-model}, the README demo's model, is exactly the tiny random checkpoint
 * {@link #SAMPLE} writes: nothing trained, nothing downloaded, its text meaningless. To write it again
 * (after a change to TinyCheckpoint's format), run
 * {@code mvn -B -o test -Dtest=TinyModelSampleTest -Dkun.writeTinyModel=true}.
 */
class TinyModelSampleTest {
    static final Path DIR = Path.of("data-samples/tiny-model");

    /**
     * A Llama-layout checkpoint of 2 layers of width 64 (BF16, embedding tied to the head: 1.2 MB). Its
     * tokenizer has 8,192 tokens: TinyCheckpoint's base set, then CJK characters from U+4E00 on; any other
     * character is its UTF-8 bytes. Its 4,096 positions hold the method's longest prompts. Seed 12 because its
     * judge, reading 好 against 差 from its next-token probabilities, says 好 to some of the sample corpus and
     * 差 to the rest (most seeds say one of them to every record), so the demo's funnel narrows midway.
     */
    static final TinyCheckpoint SAMPLE = TinyCheckpoint.builder().vocab(8192).dtype("BF16").tied(true)
            .maxPositions(4096).seed(12).build();

    @TempDir Path dir;

    @Test
    void theDemoModelIsTheTinyCheckpointItSaysItIs() throws IOException {
        if (Boolean.getBoolean("kun.writeTinyModel")) {
            if (Files.exists(DIR)) {
                try (Stream<Path> old = Files.list(DIR)) {
                    for (Path p : old.toList()) Files.delete(p);
                }
            }
            SAMPLE.write(DIR);
        }
        Path fresh = SAMPLE.write(dir.resolve("fresh"));
        List<String> expected = names(fresh);
        assertEquals(expected, names(DIR));
        for (String name : expected) {
            assertArrayEquals(Files.readAllBytes(fresh.resolve(name)), Files.readAllBytes(DIR.resolve(name)), name);
        }
    }

    private static List<String> names(Path d) throws IOException {
        try (Stream<Path> files = Files.list(d)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
