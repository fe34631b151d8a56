package dev.kun.filter;

import dev.kun.record.KunRecord;
import dev.kun.prompt.Verdicts;

/**
 * METHOD.md step 4's selection on the point model's {@code score}, read as {@link Verdicts} reads it (the
 * judge stage applies the same): Kun keeps a score that contains 【好】 and not 【差】; Humpback keeps a score
 * whose last {@code Score: N} (N in 1..5) has N >= {@code minScore}. A score with no verdict in it is
 * dropped as {@link #UNPARSEABLE}.
 */
public record VerdictRule(VerdictMode mode, double minScore) implements Rule {
    public static final String BAD = Verdicts.Decision.BAD.reason();
    public static final String LOW_SCORE = Verdicts.Decision.LOW_SCORE.reason();
    public static final String UNPARSEABLE = Verdicts.Decision.UNPARSEABLE.reason();

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
        Verdicts.Decision d = mode == VerdictMode.KUN ? Verdicts.kun(score) : Verdicts.humpback(score, minScore);
        return d == Verdicts.Decision.KEEP ? Verdict.keep(record) : Verdict.drop(d.reason());
    }
}
