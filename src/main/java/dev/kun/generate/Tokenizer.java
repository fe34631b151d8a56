package dev.kun.generate;

import java.util.OptionalInt;

/**
 * A model's tokenizer as stages and backends see it: text to token ids and back, without special
 * tokens added. Polish truncates in these tokens; an HTTP backend counts with them.
 */
public interface Tokenizer {

    /** The ids {@code text} encodes to, no special tokens added. */
    int[] encode(String text);

    /** The text of {@code ids}, special tokens included as their text. */
    String decode(int[] ids);

    /** How many tokens {@code text} encodes to (no special tokens added). */
    default int count(String text) {
        return encode(text).length;
    }

    /** The beginning-of-sequence token, when the tokenizer has one. */
    default OptionalInt bosTokenId() {
        return OptionalInt.empty();
    }
}
