package dev.kun.filter;

import dev.kun.record.KunRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * METHOD.md step 4's selection on the point model's {@code score}. Kun keeps a score that contains
 * 【好】 and not 【差】. Humpback keeps a score whose last {@code Score: N} has N >= {@code minScore};
 * "score" in any case, an ASCII or fullwidth colon, and ASCII or fullwidth digits are accepted. A
 * score with no verdict in it is dropped as {@link #UNPARSEABLE}.
 */
public record VerdictRule(VerdictMode mode, double minScore) implements Rule {
    public static final String BAD = "verdict_bad";
    public static final String LOW_SCORE = "verdict_low_score";
    public static final String UNPARSEABLE = "verdict_unparseable";

    private static final Pattern HUMPBACK_SCORE =
            Pattern.compile("\\bscore[\\s\\u00A0\\u3000]*[:：][\\s\\u00A0\\u3000]*([0-9０-９]+(?:\\.[0-9]+)?)",
                    Pattern.CASE_INSENSITIVE);

    /**
     * The record's own form, spelled out: the rule set's description, part of the resume fingerprint,
     * prints it, and the generated one builds its method handles at run time (~20 classes per start).
     */
    @Override
    public String toString() {
        return "VerdictRule[mode=" + mode + ", minScore=" + minScore + "]";
    }

    @Override
    public String name() {
        return "verdict";
    }

    @Override
    public Verdict apply(KunRecord record) {
        String score = MissingFieldException.require(record, KunRecord.SCORE);
        return mode == VerdictMode.KUN ? kun(record, score) : humpback(record, score);
    }

    private Verdict kun(KunRecord record, String score) {
        if (score.contains("【差】")) {
            return Verdict.drop(BAD);
        }
        return score.contains("【好】") ? Verdict.keep(record) : Verdict.drop(UNPARSEABLE);
    }

    private Verdict humpback(KunRecord record, String score) {
        Double rating = lastRating(score);
        if (rating == null) {
            return Verdict.drop(UNPARSEABLE);
        }
        return rating >= minScore ? Verdict.keep(record) : Verdict.drop(LOW_SCORE);
    }

    /** The number after the last "Score:" in {@code text}, or null when there is none. */
    static Double lastRating(String text) {
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
