package dev.kun.prompt;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a judge's text reads as a verdict (METHOD.md step 4), shared by {@code kun filter --rules verdict}
 * and {@code kun judge}: Kun's point model keeps a text that contains 【好】 and not 【差】; Humpback's
 * self-curation keeps a text whose last {@code Score: N} has N (1 to 5) at or above the minimum. A text
 * with no verdict in it is {@link Decision#UNPARSEABLE}, never an error.
 */
public final class Verdicts {
    public static final String GOOD = "【好】";
    public static final String BAD = "【差】";
    /** Humpback's scale. */
    public static final int MIN_RATING = 1;
    public static final int MAX_RATING = 5;

    /**
     * "score" in any case, an ASCII or fullwidth colon, ASCII or fullwidth digits: the reproduction's strict
     * {@code [Ss]core:\s*(\d+)$} lost 45-67% of its judge outputs (METHOD.md), so the last match anywhere wins.
     */
    private static final Pattern HUMPBACK_SCORE =
            Pattern.compile("\\bscore[\\s\\u00A0\\u3000]*[:：][\\s\\u00A0\\u3000]*([0-9０-９]+(?:\\.[0-9]+)?)",
                    Pattern.CASE_INSENSITIVE);

    private Verdicts() {}

    /** What a verdict decides, with the reject reason of each drop. */
    public enum Decision {
        KEEP(null),
        BAD("verdict_bad"),
        LOW_SCORE("verdict_low_score"),
        UNPARSEABLE("verdict_unparseable");

        private final String reason;

        Decision(String reason) {
            this.reason = reason;
        }

        /** The reject reason; null for {@link #KEEP}. */
        public String reason() {
            return reason;
        }
    }

    /** Kun: 【差】 anywhere drops; otherwise 【好】 keeps; neither is unparseable. */
    public static Decision kun(String score) {
        if (score.contains(BAD)) return Decision.BAD;
        return score.contains(GOOD) ? Decision.KEEP : Decision.UNPARSEABLE;
    }

    /** Humpback: the last rating, kept at {@code minScore} or above; none, or one outside 1..5, is unparseable. */
    public static Decision humpback(String score, double minScore) {
        Double rating = lastRating(score);
        if (rating == null || rating < MIN_RATING || rating > MAX_RATING) return Decision.UNPARSEABLE;
        return rating >= minScore ? Decision.KEEP : Decision.LOW_SCORE;
    }

    /** The number after the last "Score:" in {@code text}, or null when there is none. */
    public static Double lastRating(String text) {
        Matcher m = HUMPBACK_SCORE.matcher(text);
        String last = null;
        while (m.find()) {
            last = m.group(1);
        }
        if (last == null) {
            return null;
        }
        StringBuilder ascii = new StringBuilder(last.length());
        for (int i = 0; i < last.length(); i++) {
            char c = last.charAt(i);
            ascii.append(c == '.' ? '.' : (char) ('0' + Character.digit(c, 10)));
        }
        return Double.parseDouble(ascii.toString());
    }
}
