package dev.kun.seed;

/**
 * Drops texts that encode to more than {@code maxTokens} tokens ({@code too_many_tokens}), counted
 * without special tokens: the method's preliminary cleansing keeps documents of at most 512 tokens.
 */
public record TokenLimitRule(TokenCounter tokens, int maxTokens) implements TextRule {
    public static final String TOO_MANY_TOKENS = "too_many_tokens";

    @Override
    public String check(String text) {
        return tokens.count(text) > maxTokens ? TOO_MANY_TOKENS : null;
    }
}
