package dev.kun.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.testing.TinyCheckpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same contract on a GPT-2/Qwen2-style byte-level tokenizer, whose decoder is UTF-8-lossy rather than byte fallback. */
class HfTokenizerByteLevelTest {
    @TempDir static Path dir;
    static HfTokenizer tok;

    @BeforeAll
    static void load() {
        TinyCheckpoint.builder().layers(1).modelType("qwen2").byteLevelTokenizer(true).write(dir);
        tok = HfTokenizer.load(dir);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    @Test
    void specialsAreSingleIdsAndCjkCharactersAreMerged() {
        int[] ids = tok.encode("<|im_start|>user\n新闻<|im_end|>");
        assertEquals(TinyCheckpoint.IM_START, ids[0]);
        assertEquals(TinyCheckpoint.IM_END, ids[ids.length - 1]);
        assertEquals(1, tok.countTokens("新"));
        assertEquals(2, tok.countTokens("新闻"));
        assertFalse(tok.isByteToken(TinyCheckpoint.FIRST_BYTE), "no byte fallback in a byte-level model");
    }

    @Test
    void roundTripsAnyUnicode() {
        for (String text : List.of("新闻 the thing 😀👍🏽 𝒳", " leading space", "tab\tand\nnewline", "ÆØÅ Ελληνικά")) {
            assertEquals(text, tok.decode(tok.encode(text)), text);
        }
    }

    @Test
    void incrementalHoldsSplitCharactersAndMatchesFullDecode() {
        byte[] utf8 = "a😀新".getBytes(StandardCharsets.UTF_8);
        IncrementalDetokenizer inc = tok.incremental(true);
        StringBuilder sb = new StringBuilder();
        for (byte b : utf8) {
            String piece = inc.push(TinyCheckpoint.FIRST_BYTE + (b & 0xff));
            assertFalse(piece.contains("\uFFFD"), piece);
            sb.append(piece);
        }
        sb.append(inc.flush());
        assertEquals("a😀新", sb.toString());

        Random rnd = new Random(3);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(60);
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) {
                ids[i] = rnd.nextInt(3) == 0 ? TinyCheckpoint.FIRST_BYTE + 0x80 + rnd.nextInt(0x78) : rnd.nextInt(tok.vocabSize());
            }
            IncrementalDetokenizer stream = tok.incremental(true);
            StringBuilder out = new StringBuilder();
            for (int id : ids) out.append(stream.push(id));
            out.append(stream.flush());
            assertEquals(tok.decode(ids, 0, n, true), out.toString(), java.util.Arrays.toString(ids));
        }
    }

    @Test
    void largeVocabulariesStayValidText(@TempDir Path other) {
        Path file = TinyCheckpoint.writeTokenizer(other.resolve("tokenizer.json"), 64000, false);
        try (HfTokenizer t = HfTokenizer.load(file)) {
            assertEquals(64000, t.vocabSize());
            String last = t.decode(new int[] {63999});
            assertTrue(last.codePoints().allMatch(Character::isLetter), last);
        }
    }
}
