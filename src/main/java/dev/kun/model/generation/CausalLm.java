package dev.kun.model.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * A decoder-only language model as the scheduler and scorer use it: one forward pass over a batch of
 * new tokens, reading and extending the key/value cache. A model family (Llama and its kin today) is
 * one package that implements this.
 */
public interface CausalLm {

    /** Size of the vocabulary: the last dimension of {@link #forward}'s logits. */
    int vocabSize();

    /**
     * Logits for {@code batch}: (rows, vocab) at each row's last token, or (rows, tokens, vocab) when
     * the batch asks for all positions. Arrays live in {@code step}.
     */
    NDArray forward(TokenBatch batch, KvCache cache, NDManager step);
}
