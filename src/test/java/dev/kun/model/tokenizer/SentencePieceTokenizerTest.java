package dev.kun.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.testing.SyntheticLines;
import dev.kun.testing.TinyCheckpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The tokenizer.model path: special tokens, the framing of Hugging Face's Llama tokenizer, decoding, streaming. */
class SentencePieceTokenizerTest {
    @TempDir Path dir;

    /** A tokenizer folder with the committed model {@code name} and {@code config} as tokenizer_config.json. */
    Path folder(String name, String config) throws Exception {
        Files.copy(SentencePieceModelTest.model(name), dir.resolve("tokenizer.model"));
        if (config != null) Files.writeString(dir.resolve("tokenizer_config.json"), config);
        return dir;
    }

    static final String YI_CONFIG = """
            {"add_bos_token": false, "add_eos_token": false, "legacy": true,
             "bos_token": {"__type": "AddedToken", "content": "<|startoftext|>", "lstrip": false, "rstrip": false},
             "eos_token": {"__type": "AddedToken", "content": "<|endoftext|>", "lstrip": false, "rstrip": false},
             "pad_token": "<unk>", "unk_token": "<unk>", "tokenizer_class": "YiTokenizer"}""";

    @Test
    void yiChatMarkupBecomesControlIdsAndTheRestIsSentencePieces() throws Exception {
        SentencePieceTokenizer tok = SentencePieceTokenizer.load(folder("yi-style", YI_CONFIG));
        SentencePieceModel m = tok.model();
        int imStart = m.id("<|im_start|>");
        int imEnd = m.id("<|im_end|>");
        int[] ids = tok.encode("<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n");
        int[] user = m.encode("user\n你好");
        int[] nl = m.encode("\n");
        int[] assistant = m.encode("assistant\n");
        int[] want = IntStream.concat(IntStream.concat(IntStream.concat(IntStream.of(imStart), IntStream.of(user)),
                IntStream.concat(IntStream.of(imEnd), IntStream.of(nl))),
                IntStream.concat(IntStream.of(imStart), IntStream.of(assistant))).toArray();
        assertArrayEquals(want, ids);
        assertEquals(OptionalInt.of(imEnd), tok.specialTokenId("<|im_end|>"));
        assertEquals(OptionalInt.of(1), tok.bosTokenId());
        assertEquals(List.of(2), tok.eosTokenIds());
        assertEquals("<|startoftext|>", m.piece(1));
        assertFalse(tok.addsBosToken());
        assertTrue(tok.isSpecial(imStart) && tok.isSpecial(0) && !tok.isSpecial(user[0]));
        assertEquals("<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n", tok.decode(ids));
        assertEquals("user\n你好\nassistant\n", tok.decodeSkippingSpecial(ids));
    }

    @Test
    void legacyFramingPrefixesEveryPieceOfTextTheOtherOnlyTheFirst() throws Exception {
        folder("llama-style", "{\"legacy\": true}");
        SentencePieceTokenizer legacy = SentencePieceTokenizer.load(dir);
        SentencePieceModel m = legacy.model();
        int bos = m.id("<s>");
        byte[] hi = "hi".getBytes(StandardCharsets.UTF_8);
        // "a<s>hi": legacy encodes "hi" as if it began a text (dummy prefix "▁hi").
        assertArrayEquals(IntStream.concat(IntStream.concat(IntStream.of(m.encode("a")), IntStream.of(bos)),
                IntStream.of(m.encode(hi, true))).toArray(), legacy.encode("a<s>hi"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"legacy\": false, \"add_bos_token\": true}");
        SentencePieceTokenizer current = SentencePieceTokenizer.load(dir);
        assertArrayEquals(IntStream.concat(IntStream.concat(IntStream.of(m.encode("a")), IntStream.of(bos)),
                IntStream.of(m.encode(hi, false))).toArray(), current.encode("a<s>hi"));
        assertFalse(java.util.Arrays.equals(m.encode(hi, true), m.encode(hi, false)));
        assertTrue(current.addsBosToken());
        // Without any config: Llama's tokenizer class adds BOS, and <s> and </s> are the ends.
        Files.delete(dir.resolve("tokenizer_config.json"));
        SentencePieceTokenizer bare = SentencePieceTokenizer.load(dir);
        assertTrue(bare.addsBosToken());
        assertEquals(OptionalInt.of(1), bare.bosTokenId());
        assertEquals(List.of(2), bare.eosTokenIds());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-style", "yi-style"})
    void decodingGivesBackEveryLineAndStreamingGivesTheSame(String name) throws Exception {
        SentencePieceTokenizer tok = SentencePieceTokenizer.load(folder(name, null));
        for (String line : SyntheticLines.generate(3, 2000)) {
            int[] ids = tok.encode(line);
            assertEquals(line, tok.decode(ids), line);
            IncrementalDetokenizer stream = tok.incremental(true);
            StringBuilder pieces = new StringBuilder();
            for (int id : ids) pieces.append(stream.push(id));
            pieces.append(stream.flush());
            assertEquals(line, pieces.toString(), line);
        }
    }

    @Test
    void byteRunsDecodeAsSentencePieceDoes() throws Exception {
        SentencePieceTokenizer tok = SentencePieceTokenizer.load(folder("llama-style", null));
        SentencePieceModel m = tok.model();
        int[] rare = tok.encode("𠀀"); // outside the vocabulary: four byte pieces after the dummy prefix
        assertTrue(tok.isByteToken(rare[rare.length - 1]));
        assertEquals("𠀀", tok.decode(rare));
        int e4 = m.id("<0xE4>");
        int a = m.id("a");
        int b8 = m.id("<0xB8>");
        int ad = m.id("<0xAD>");
        // Bytes that start no valid character: one U+FFFD each, the valid character beside them intact.
        assertEquals("a\uFFFD\uFFFD中a", tok.decode(new int[] {a, e4, e4, e4, b8, ad, a}));
    }

    @Test
    void addedTokensBeyondTheModelKeepTheirIds() throws Exception {
        folder("llama-style", """
                {"added_tokens_decoder": {"6000": {"content": "<|im_start|>", "special": true},
                                          "6001": {"content": "<tool>", "special": false, "rstrip": true}}}""");
        SentencePieceTokenizer tok = SentencePieceTokenizer.load(dir);
        assertEquals(6002, tok.vocabSize());
        int[] ids = tok.encode("<|im_start|>x<tool>   y");
        assertEquals(6000, ids[0]);
        int tool = IntStream.range(0, ids.length).filter(i -> ids[i] == 6001).findFirst().orElseThrow();
        // rstrip: the spaces after <tool> go with it.
        assertArrayEquals(tok.model().encode("y"), java.util.Arrays.copyOfRange(ids, tool + 1, ids.length));
        assertTrue(tok.isSpecial(6000));
        assertFalse(tok.isSpecial(6001));
        // Legacy framing gives "y" the dummy prefix of a text's start.
        assertEquals("x<tool> y", tok.decodeSkippingSpecial(ids));
    }

    @Test
    void aUserDefinedPieceIsFoundAsASpecialTokenAndMatchedWhole() throws Exception {
        // The nfkc model has user-defined pieces <sep> and 🤖 and no tokenizer_config.json at all.
        SentencePieceTokenizer tok = SentencePieceTokenizer.load(folder("nfkc", null));
        int sep = tok.specialTokenId("<sep>").orElseThrow();
        assertEquals(sep, tok.model().id("<sep>"));
        int[] ids = tok.encode("a<sep>b");
        assertEquals(1, java.util.Arrays.stream(ids).filter(i -> i == sep).count());
        assertTrue(tok.specialTokenId("<nope>").isEmpty());
    }

    @Test
    void tokenizerJsonWinsUnlessSentencePieceIsAsked() throws Exception {
        folder("llama-style", null);
        TinyCheckpoint.writeTokenizer(dir.resolve("tokenizer.json"));
        try (EngineTokenizer auto = TokenizerSource.AUTO.open(dir);
                EngineTokenizer sp = TokenizerSource.SENTENCEPIECE.open(dir)) {
            assertInstanceOf(HfTokenizer.class, auto);
            assertInstanceOf(SentencePieceTokenizer.class, sp);
        }
        KunException e = assertThrows(KunException.class, () -> TokenizerSource.parse("fast"));
        assertEquals(ExitCodes.USAGE, e.exitCode());
    }

    @Test
    void aUnigramOrBrokenModelIsRefusedInOneLine() throws Exception {
        Path bad = dir.resolve("tokenizer.model");
        Files.write(bad, new byte[] {0x0a, 0x7f, 0x01});
        KunException e = assertThrows(KunException.class, () -> SentencePieceTokenizer.load(dir));
        assertEquals(ExitCodes.BACKEND, e.exitCode());
        assertTrue(e.getMessage().startsWith("cannot load SentencePiece model " + bad + ": it is not a SentencePiece model"),
                e.getMessage());
        // A Unigram model: trainer_spec { model_type: UNIGRAM }, one piece.
        Files.write(bad, new byte[] {0x0a, 0x07, 0x0a, 0x03, '<', 'u', '>', 0x18, 0x02, 0x12, 0x02, 0x18, 0x01});
        e = assertThrows(KunException.class, () -> SentencePieceTokenizer.load(dir));
        assertEquals(bad + " is a SentencePiece Unigram model; kun runs SentencePiece BPE (Llama, Yi) only:"
                + " use the checkpoint's tokenizer.json", e.getMessage());
    }
}
