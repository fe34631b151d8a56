package dev.kun.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.testing.TinyCheckpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfTokenizerTest {
    @TempDir static Path dir;
    static HfTokenizer tok;

    @BeforeAll
    static void load() {
        TinyCheckpoint.builder().layers(1).write(dir);
        tok = HfTokenizer.load(dir);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    @Test
    void chatSpecialTokensEncodeToSingleYiIds() {
        int[] ids = tok.encode("<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n");
        assertEquals(TinyCheckpoint.IM_START, ids[0]);
        int imEnd = indexOf(ids, TinyCheckpoint.IM_END);
        assertTrue(imEnd > 0);
        // Llama/Yi's normalizer prepends a space-piece to the "\n" after <|im_end|>: ▁, <0x0A>.
        assertEquals(TinyCheckpoint.IM_START, ids[imEnd + 3]);
        assertEquals(2, count(ids, TinyCheckpoint.IM_START));
        assertEquals(OptionalInt.of(8), tok.specialTokenId("<|im_sep|>"));
        assertEquals(OptionalInt.of(2), tok.specialTokenId("<|endoftext|>"));
        assertTrue(tok.isSpecial(7));
        assertFalse(tok.isSpecial(300));
    }

    @Test
    void noBosIsAddedAlthoughThePostProcessorWouldAddOne() {
        int[] ids = tok.encode("hi");
        assertTrue(ids.length > 0);
        assertTrue(ids[0] != TinyCheckpoint.BOS);
        assertEquals(ids.length, tok.countTokens("hi"));
    }

    @Test
    void longTextIsNeverTruncated() {
        String text = "ab ".repeat(3000);
        assertEquals(text.strip(), tok.decode(tok.encode(text)).strip());
        assertTrue(tok.countTokens(text) > 6000);
    }

    @Test
    void roundTripsCjkEmojiAndSurrogatePairs() {
        for (String text : List.of("新闻材料 回答：【好】", "emoji 😀👍🏽 and 𝒳 (U+1D4B3)", "tab\tnew\nline  two",
                "ÆØÅ Ελληνικά русский ไทย")) {
            assertEquals(text, tok.decode(tok.encode(text)), text);
        }
    }

    @Test
    void decodeKeepsOrSkipsSpecialTokens() {
        int[] ids = tok.encode("<|im_start|>hi<|im_end|>");
        assertEquals("<|im_start|>hi<|im_end|>", tok.decode(ids).replace(" ", ""));
        assertEquals("hi", tok.decodeSkippingSpecial(ids));
    }

    @Test
    void bosAndEosComeFromGenerationConfigFirst() {
        assertEquals(OptionalInt.of(1), tok.bosTokenId());
        // generation_config.json lists [2, 7]; config.json says 2 alone.
        assertEquals(List.of(2, 7), tok.eosTokenIds());
        assertEquals(512, tok.vocabSize());
    }

    @Test
    void eosFallsBackToConfigThenTokenizerConfig(@TempDir Path other) throws Exception {
        TinyCheckpoint.builder().layers(1).generationConfig(false).write(other);
        try (HfTokenizer t = HfTokenizer.load(other)) {
            assertEquals(List.of(2), t.eosTokenIds());
        }
        Files.delete(other.resolve("config.json"));
        Files.writeString(other.resolve("tokenizer_config.json"),
                "{\"eos_token\": {\"content\": \"<|im_end|>\"}, \"bos_token\": \"<|startoftext|>\"}");
        try (HfTokenizer t = HfTokenizer.load(other)) {
            assertEquals(List.of(7), t.eosTokenIds());
            assertEquals(OptionalInt.of(1), t.bosTokenId());
        }
    }

    @Test
    void tokenizerFileAloneIsEnough(@TempDir Path other) {
        Path file = TinyCheckpoint.writeTokenizer(other.resolve("tokenizer.json"));
        try (HfTokenizer t = HfTokenizer.load(file)) {
            assertEquals(3, t.countTokens("<|im_start|><|im_end|><|endoftext|>"));
            assertEquals(List.of(), t.eosTokenIds());
        }
    }

    @Test
    void missingTokenizerNamesTheFile(@TempDir Path empty) {
        KunException e = assertThrows(KunException.class, () -> HfTokenizer.load(empty));
        assertEquals(ExitCodes.BACKEND, e.exitCode());
        assertTrue(e.getMessage().contains(empty.resolve("tokenizer.json").toString()), e.getMessage());
    }

    @Test
    void corruptTokenizerIsOneLineError(@TempDir Path other) throws Exception {
        Files.writeString(other.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Nonsense\"}}");
        KunException e = assertThrows(KunException.class, () -> HfTokenizer.load(other));
        assertEquals(ExitCodes.BACKEND, e.exitCode());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void incrementalNeverEmitsHalfACharacter() {
        // The emoji is outside the vocabulary: four byte-fallback tokens.
        int[] ids = tok.encode("a😀b");
        IncrementalDetokenizer inc = tok.incremental(true);
        List<String> pieces = new ArrayList<>();
        for (int id : ids) pieces.add(inc.push(id));
        pieces.add(inc.flush());
        for (String p : pieces) assertFalse(p.contains("\uFFFD"), pieces.toString());
        assertEquals("a😀b", String.join("", pieces));
        assertTrue(pieces.contains("😀") || pieces.stream().anyMatch(p -> p.startsWith("😀")), pieces.toString());
    }

    @Test
    void incrementalConcatenationEqualsFullDecodeForRandomIds() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + rnd.nextInt(60);
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) {
                // Bias toward byte tokens so that split, broken and completed UTF-8 sequences all occur.
                ids[i] = rnd.nextInt(3) == 0 ? 9 + 0x80 + rnd.nextInt(0x78) : rnd.nextInt(tok.vocabSize());
            }
            for (boolean skip : new boolean[] {true, false}) {
                IncrementalDetokenizer inc = tok.incremental(skip);
                StringBuilder sb = new StringBuilder();
                for (int id : ids) sb.append(inc.push(id));
                sb.append(inc.flush());
                String expected = tok.decode(ids, 0, n, skip);
                assertEquals(expected, sb.toString(), java.util.Arrays.toString(ids));
                assertEquals(expected, inc.text());
            }
        }
    }

    @Test
    void incrementalUtf8OfMultiByteCharactersMatchesBytes() {
        String text = "新闻😀𝒳";
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[utf8.length];
        for (int i = 0; i < utf8.length; i++) ids[i] = TinyCheckpoint.FIRST_BYTE + (utf8[i] & 0xff);
        IncrementalDetokenizer inc = tok.incremental(true);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            String p = inc.push(id);
            assertFalse(p.contains("\uFFFD"));
            sb.append(p);
        }
        // The byte run is held until a non-byte token closes it: only then is its text final.
        assertEquals("", sb.toString());
        assertEquals(text + "b", inc.push(tok.encode("b")[1]));
        assertEquals("", inc.flush());
    }

    @Test
    void aLongValidByteRunStreamsAsItsText() {
        // 36 bytes outside the vocabulary: a byte run longer than the detokenizer holds back. Hugging
        // Face's decoder turns an unfinished run into U+FFFD throughout, which must never reach the stream.
        String text = "家家家家家家家家家家家家家👨‍👩‍👧x"; // 3-byte characters: the 32nd token is mid-character
        int[] ids = tok.encode(text);
        IncrementalDetokenizer inc = tok.incremental(true);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            String p = inc.push(id);
            assertFalse(p.contains("\uFFFD"), p);
            sb.append(p);
        }
        sb.append(inc.flush());
        assertEquals(tok.decode(ids), sb.toString());
        assertEquals(text, sb.toString());
    }

    @Test
    void findStopSeesStopsSpanningTokens() {
        IncrementalDetokenizer inc = tok.incremental(true);
        int[] ids = tok.encode("answer</s>tail");
        int found = -1;
        for (int id : ids) {
            inc.push(id);
            int f = inc.findStop(List.of("</s>", "never"));
            if (f >= 0 && found < 0) found = f;
        }
        assertEquals("answer".length(), found);
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }

    private static int count(int[] a, int v) {
        int c = 0;
        for (int x : a) if (x == v) c++;
        return c;
    }
}
