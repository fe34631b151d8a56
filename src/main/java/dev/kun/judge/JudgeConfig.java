package dev.kun.judge;

import dev.kun.generate.Provenance;
import dev.kun.generate.SamplingParams;
import dev.kun.prompt.ChatFormat;
import dev.kun.prompt.HumpbackPrompt;
import dev.kun.prompt.PointPrompt;
import dev.kun.prompt.PromptTemplate;
import dev.kun.prompt.Verdicts;
import java.util.List;
import java.util.Locale;

/**
 * Settings of the judge stage ({@code kun judge}).
 *
 * @param rubric     Kun's good/bad point on the instruction alone, or Humpback's 5-point self-curation
 *                   of (instruction, output)
 * @param template   the user message; the rubric's own by default
 * @param chat       how the message is framed; the method's is {@link ChatFormat#kun()}
 * @param minScore   Humpback: the lowest rating kept (the method keeps 5 only)
 * @param provenance the model, written under {@code kun.judge}
 */
public record JudgeConfig(Rubric rubric, PromptTemplate template, ChatFormat chat, double minScore, Provenance provenance) {

    /** What the judge is asked and how its answer reads ({@code --template}). */
    public enum Rubric {
        /** METHOD.md step 4: the point prompt on the instruction; keeps 【好】 without 【差】. */
        KUN,
        /** Humpback's self-curation: a 5-point rating of the pair; keeps the last "Score: N" at or above the minimum. */
        HUMPBACK;

        /** "kun" or "humpback", any case. */
        public static Rubric parse(String text) {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The rubric's own template. */
        public PromptTemplate template() {
            return this == KUN ? PointPrompt.TEMPLATE : HumpbackPrompt.TEMPLATE;
        }

        /** {@code template}, checked against what this rubric fills and needs (a usage error otherwise). */
        public PromptTemplate check(PromptTemplate template) {
            return this == KUN
                    ? template.check("judge --template kun", PointPrompt.FILLS, PointPrompt.NEEDS)
                    : template.check("judge --template humpback", HumpbackPrompt.FILLS, HumpbackPrompt.NEEDS);
        }
    }

    public JudgeConfig {
        rubric.check(template);
        if (rubric == Rubric.HUMPBACK) {
            if (minScore < Verdicts.MIN_RATING || minScore > Verdicts.MAX_RATING) {
                throw new IllegalArgumentException("min score must be in 1..5: " + minScore);
            }
        }
    }

    /** The rubric with its own template, ChatML, and the method's minimum of 5. */
    public static JudgeConfig of(Rubric rubric, Provenance provenance) {
        return new JudgeConfig(rubric, rubric.template(), ChatFormat.kun(), Verdicts.MAX_RATING, provenance);
    }

    /** The method's sampling, stopping where the chat format ends a turn (logits mode does not sample). */
    public SamplingParams defaultSampling() {
        return SamplingParams.kun().withStopStrings(chat.stops());
    }

    /** How a judge's text decides: {@link Verdicts}, as {@code kun filter --rules verdict} reads it. */
    public Verdicts.Decision decide(String score) {
        return rubric == Rubric.KUN ? Verdicts.kun(score) : Verdicts.humpback(score, minScore);
    }

    /** Text the answer starts with, after which the verdict token comes: 【 (Kun), "Score: " (Humpback). */
    public String verdictLead() {
        return rubric == Rubric.KUN ? PointPrompt.VERDICT_LEAD : HumpbackPrompt.VERDICT_LEAD;
    }

    /** The verdict tokens, in order: 好, 差 (Kun); 1 to 5 (Humpback). */
    public List<String> verdicts() {
        return rubric == Rubric.KUN ? List.of("好", "差") : List.of("1", "2", "3", "4", "5");
    }

    /** Everything that changes prompts or decisions, for the resume check. */
    String fingerprint() {
        return "rubric=" + rubric.id() + ";template=" + template.fingerprint() + ";chat=" + chat.fingerprint()
                + (rubric == Rubric.HUMPBACK ? ";min_score=" + minScore : "");
    }
}
