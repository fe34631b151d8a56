package dev.kun.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A model's tokenizer as stages and backends see it: text to token ids and back, without special
 * tokens added. Polish truncates in these tokens; an HTTP backend counts with them.
 */
public interface Tokenizer extends AutoCloseable {

    /** The ids {@code text} encodes to, no special tokens added. */
    int[] encode(String text);

    /** {@link #encode} of each text, in order (a tokenizer may encode them in parallel). */
    default List<int[]> encodeAll(List<String> texts) {
        List<int[]> out = new ArrayList<>(texts.size());
        for (String text : texts) out.add(encode(text));
        return out;
    }

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

    /** Frees native resources; a no-op for tokenizers that hold none. */
    @Override
    default void close() {}
}
