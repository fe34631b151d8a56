package dev.kun.model.tokenizer;

import dev.kun.generate.Tokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A checkpoint's tokenizer as the in-process engine uses it: what stages see ({@link Tokenizer}:
 * encode without adding special tokens, special tokens written in the text becoming their ids), plus
 * decoding of id ranges with or without special tokens, streaming decoding, the end tokens, and
 * which ids are special or SentencePiece byte pieces. Implemented by {@link HfTokenizer}
 * (tokenizer.json) and {@link SentencePieceTokenizer} (tokenizer.model).
 */
public interface EngineTokenizer extends Tokenizer {

    /** Text of {@code ids[from, to)}; special tokens as their text unless {@code skipSpecialTokens}. */
    String decode(int[] ids, int from, int to, boolean skipSpecialTokens);

    /** Text of {@code ids}, special tokens included verbatim (e.g. {@code <|im_end|>}). */
    @Override
    default String decode(int[] ids) {
        return decode(ids, 0, ids.length, false);
    }

    /** Text of {@code ids} with special tokens left out. */
    default String decodeSkippingSpecial(int[] ids) {
        return decode(ids, 0, ids.length, true);
    }

    /** A fresh streaming decoder for one generated sequence. */
    default IncrementalDetokenizer incremental(boolean skipSpecialTokens) {
        return new IncrementalDetokenizer(this, skipSpecialTokens);
    }

    /** Id of special token {@code content} (e.g. "<|im_end|>"); empty when the tokenizer has none. */
    OptionalInt specialTokenId(String content);

    /** Special tokens by content. */
    Map<String, Integer> specialTokens();

    boolean isSpecial(int id);

    /**
     * Whether {@code id} is a SentencePiece byte-fallback token ({@code <0xE4>}). A run of them decodes
     * to text only once it is valid UTF-8 (else to U+FFFD per token), so a run's text is final only
     * once a non-byte token ends it.
     */
    boolean isByteToken(int id);

    /** One more than the highest id the tokenizer can produce (may be below the model's vocab_size). */
    int vocabSize();

    /**
     * Ids that end a generation: generation_config.json's {@code eos_token_id} (int or list) when
     * present, else config.json's, else tokenizer_config.json's {@code eos_token}; may be empty.
     */
    List<Integer> eosTokenIds();

    /**
     * Whether the checkpoint's tokenizer adds BOS in front of a text it encodes for the model
     * (tokenizer_config.json's {@code add_bos_token}, Hugging Face's default for the tokenizer's
     * kind when absent). {@link #encode} never adds it; a caller that wants the checkpoint's own
     * framing asks here.
     */
    boolean addsBosToken();

    /** As {@link #addsBosToken}, for EOS at the end ({@code add_eos_token}). */
    boolean addsEosToken();

    /** The file the tokenizer was read from (tokenizer.json or tokenizer.model). */
    Path file();

    @Override
    void close();
}
