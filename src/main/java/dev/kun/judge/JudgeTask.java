package dev.kun.judge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.PromptTask;
import dev.kun.generate.Provenance;
import dev.kun.generate.Tokenizer;
import dev.kun.pipeline.Outcome;
import dev.kun.prompt.ChatFormat;
import dev.kun.prompt.Verdicts;
import dev.kun.record.KunRecord;
import java.util.HashMap;
import java.util.Map;

/**
 * METHOD.md step 4 with the judge generating its answer: Kun's point model judges the instruction
 * (【好】 or 【差】), or, with the Humpback rubric, the model rates (instruction, output) from 1 to 5. The
 * answer, cut at the first stop string, is written to {@code score}, and the verdict is applied as
 * {@code kun filter --rules verdict} applies it ({@link Verdicts}): a kept record carries its score, a
 * dropped one is a reject {@code verdict_bad}, {@code verdict_low_score} or, when the answer holds no
 * verdict, {@code verdict_unparseable} (never an error; the reject keeps the raw {@code score}).
 */
public final class JudgeTask implements PromptTask {
    public static final String NAME = "judge";

    private final JudgeConfig config;

    public JudgeTask(JudgeConfig config) {
        this.config = config;
    }

    public JudgeConfig config() {
        return config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String fingerprint() {
        return config.fingerprint() + ";verdict_from=generate";
    }

    @Override
    public Prompt prompt(KunRecord record, Tokenizer tokenizer) {
        Map<String, String> values = new HashMap<>();
        for (String name : config.template().placeholders()) {
            String field = name.equals("instruction") || name.equals("generated_instruction") ? KunRecord.INSTRUCTION : KunRecord.OUTPUT;
            String value = record.string(field);
            if (value == null) {
                return Prompt.refused(Outcome.badInput(record, "missing_field", "no string field \"" + field + "\""));
            }
            values.put(name, value);
        }
        return Prompt.of(config.chat().render(config.template().render(values)));
    }

    @Override
    public Outcome complete(KunRecord record, String prompt, Generation generation) {
        return complete(record, (GenerationRequest) null, generation);
    }

    @Override
    public Outcome complete(KunRecord record, GenerationRequest request, Generation generation) {
        String score = ChatFormat.cut(generation.text(), config.chat().stops());
        Verdicts.Decision decision = config.decide(score);
        ObjectNode made = config.provenance().describe(request, generation);
        made.put("verdict_from", "generate");
        describe(made, decision, score);
        return outcome(Provenance.attach(record.with(KunRecord.SCORE, score), NAME, made), decision);
    }

    /** Adds the decision (and Humpback's rating, when there is one) to a provenance entry. */
    void describe(ObjectNode made, Verdicts.Decision decision, String score) {
        made.put("verdict", decision.name().toLowerCase(java.util.Locale.ROOT));
        if (config.rubric() == JudgeConfig.Rubric.HUMPBACK) {
            Double rating = Verdicts.lastRating(score);
            if (rating != null) made.put("rating", rating);
        }
    }

    static Outcome outcome(KunRecord record, Verdicts.Decision decision) {
        return decision == Verdicts.Decision.KEEP ? Outcome.kept(record) : Outcome.dropped(record, decision.reason());
    }
}
