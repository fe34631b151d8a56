package dev.kun.seed;

/**
 * Drops texts shorter than {@code minChars} ({@code too_short}) or longer than {@code maxChars}
 * ({@code too_long}) characters, counted as Unicode code points; 0 disables a bound.
 */
public record LengthRule(int minChars, int maxChars) implements TextRule {
    public static final String TOO_SHORT = "too_short";
    public static final String TOO_LONG = "too_long";

    @Override
    public String check(String text) {
        if (minChars <= 0 && maxChars <= 0) {
            return null;
        }
        int chars = text.codePointCount(0, text.length());
        if (minChars > 0 && chars < minChars) {
            return TOO_SHORT;
        }
        if (maxChars > 0 && chars > maxChars) {
            return TOO_LONG;
        }
        return null;
    }
}
