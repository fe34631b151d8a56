package dev.kun.filter;

import java.util.Locale;

/** How {@link VerdictRule} reads the point model's {@code score}: Kun's 【好】/【差】 or Humpback's 1-5 rating. */
public enum VerdictMode {
    KUN,
    HUMPBACK;

    /** Parses "kun" or "humpback" (any case). */
    public static VerdictMode parse(String text) {
        return valueOf(text.trim().toUpperCase(Locale.ROOT));
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
