package dev.kun.judge;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.KunException;
import dev.kun.generate.PromptTask;
import dev.kun.generate.Provenance;
import dev.kun.generate.TextScorer;
import dev.kun.generate.Tokenizer;
import dev.kun.pipeline.Outcome;
import dev.kun.pipeline.Stage;
import dev.kun.prompt.Verdicts;
import dev.kun.record.Json;
import dev.kun.record.KunRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The judge reading its verdict from the model's next-token probabilities instead of generating
 * ({@code kun judge --verdict-from logits}): the prompt plus the start of the answer (【 for Kun,
 * {@code Score: } for Humpback) is run once, and the probabilities of the verdict tokens at the next
 * position decide: 好 against 差, or the most likely of 1 to 5. Every record gets a verdict (no
 * unparseable answers), in one forward pass and no sampling. {@code score} holds the verdict in the
 * method's form (【好】, {@code Score: 5}) so that {@code kun filter --rules verdict} reads it as it reads a
 * generated one, and {@code kun.judge.probabilities} the probabilities behind it.
 */
public final class JudgeLogitsStage implements Stage {
    private final TextScorer scorer;
    private final JudgeTask task;
    private final JudgeConfig config;
    private final int batchSize;
    private final String lead;
    private final int[] candidates;

    /**
     * A stage on {@code scorer}. A tokenizer in which a verdict is not one token right after the answer's
     * start cannot be read this way: a usage error that says so.
     */
    public JudgeLogitsStage(TextScorer scorer, JudgeConfig config, int batchSize) {
        this.scorer = scorer;
        this.config = config;
        this.task = new JudgeTask(config);
        this.batchSize = batchSize;
        Map<String, String> probe = new HashMap<>();
        for (String name : config.template().placeholders()) probe.put(name, "x");
        String prompt = config.chat().render(config.template().render(probe));
        Tokenizer tokenizer = scorer.tokenizer();
        String lead = config.verdictLead();
        int[] ids = verdictTokens(tokenizer, prompt, lead, "");
        if (ids == null && !lead.equals(lead.stripTrailing())) {
            // A byte-level BPE glues the space to the digit (" 5"): the answer's start ends before the space.
            lead = lead.stripTrailing();
            ids = verdictTokens(tokenizer, prompt, lead, " ");
        }
        if (ids == null) {
            throw KunException.usage("--verdict-from logits: in this model's tokenizer the verdicts " + config.verdicts()
                    + " are not each one token after \"" + config.verdictLead() + "\"; use --verdict-from generate");
        }
        this.lead = lead;
        this.candidates = ids;
    }

    /** Each verdict's token after {@code prompt + lead}, or null when one of them is not exactly one token there. */
    private int[] verdictTokens(Tokenizer tokenizer, String prompt, String lead, String space) {
        int[] base = tokenizer.encode(prompt + lead);
        List<String> verdicts = config.verdicts();
        int[] ids = new int[verdicts.size()];
        for (int j = 0; j < ids.length; j++) {
            int[] full = tokenizer.encode(prompt + lead + space + verdicts.get(j));
            if (full.length != base.length + 1 || !Arrays.equals(Arrays.copyOf(full, base.length), base)) return null;
            ids[j] = full[base.length];
        }
        return ids;
    }

    @Override
    public String name() {
        return JudgeTask.NAME;
    }

    /** The task's settings, the reading from logits, and the backend's identity. */
    @Override
    public String fingerprint() {
        ObjectNode fp = Json.MAPPER.createObjectNode();
        fp.put("task", config.fingerprint() + ";verdict_from=logits");
        fp.put("backend", scorer.fingerprint());
        return fp.toString();
    }

    @Override
    public int batchSize() {
        return batchSize;
    }

    /** The token ids of the verdicts, in {@link JudgeConfig#verdicts()} order. */
    public int[] candidates() {
        return candidates.clone();
    }

    /** The text appended to each prompt before the verdict position. */
    public String lead() {
        return lead;
    }

    @Override
    public List<Outcome> process(List<KunRecord> batch) {
        Outcome[] outcomes = new Outcome[batch.size()];
        List<int[]> prefixes = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        Tokenizer tokenizer = scorer.tokenizer();
        for (int i = 0; i < batch.size(); i++) {
            KunRecord record = batch.get(i);
            PromptTask.Prompt prompt = task.prompt(record, tokenizer);
            if (prompt.outcome() != null) {
                outcomes[i] = prompt.outcome();
                continue;
            }
            int[] ids = tokenizer.encode(prompt.text() + lead);
            if (ids.length > scorer.contextLength()) {
                outcomes[i] = task.promptTooLong(record, "the prompt has " + ids.length + " tokens; the model's context holds "
                        + scorer.contextLength() + " (see --max-context)");
            } else {
                prefixes.add(ids);
                positions.add(i);
            }
        }
        List<float[]> logprobs = prefixes.isEmpty() ? List.of() : scorer.nextTokenLogprobs(prefixes, candidates);
        for (int k = 0; k < prefixes.size(); k++) {
            int i = positions.get(k);
            outcomes[i] = decide(batch.get(i), logprobs.get(k), prefixes.get(k).length).withTokens(prefixes.get(k).length, 0);
        }
        return List.of(outcomes);
    }

    private Outcome decide(KunRecord record, float[] logprobs, int promptTokens) {
        List<String> verdicts = config.verdicts();
        ObjectNode probabilities = Json.MAPPER.createObjectNode();
        int best = 0;
        for (int j = 0; j < logprobs.length; j++) {
            probabilities.put(verdicts.get(j), (float) Math.exp(logprobs[j]));
            // A tie goes to the earlier, lower rating.
            if (logprobs[j] > logprobs[best]) best = j;
        }
        String score;
        if (config.rubric() == JudgeConfig.Rubric.KUN) {
            // 好 only when strictly more likely than 差: the rubric is strict with 【好】.
            score = logprobs[0] > logprobs[1] ? Verdicts.GOOD : Verdicts.BAD;
        } else {
            score = "Score: " + verdicts.get(best);
        }
        Verdicts.Decision decision = config.decide(score);
        ObjectNode made = config.provenance().describe();
        made.put("verdict_from", "logits");
        made.set("probabilities", probabilities);
        made.put("prompt_tokens", promptTokens);
        task.describe(made, decision, score);
        return JudgeTask.outcome(Provenance.attach(record.with(KunRecord.SCORE, score), JudgeTask.NAME, made), decision);
    }
}
