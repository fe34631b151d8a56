package dev.kun.seed;

/** Counts the tokens a text encodes to, without special tokens (no BOS/EOS added). */
@FunctionalInterface
public interface TokenCounter {
    int count(String text);
}
