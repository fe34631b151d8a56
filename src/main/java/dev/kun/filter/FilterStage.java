package dev.kun.filter;

import dev.kun.pipeline.Outcome;
import dev.kun.pipeline.Stage;
import dev.kun.record.KunRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code filter} stage: applies a {@link RuleSet} in order to each record. The first rule that
 * drops decides the reason; a rejected record is written as it came in. A record lacking a field a
 * rule needs is bad input ({@code missing_field}), not a drop.
 */
public final class FilterStage implements Stage {
    private final RuleSet rules;
    private final OutputFormat format;
    private final String name;

    public FilterStage(RuleSet rules, OutputFormat format) {
        this(rules, format, "filter");
    }

    /**
     * A filter stage that writes {@code name} into rejects and stats: {@code kun run} runs the method's
     * instruction rules and output rules as two stages, and its ledger tells them apart.
     */
    public FilterStage(RuleSet rules, OutputFormat format, String name) {
        this.rules = rules;
        this.format = format;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    /** Rules are cheap and stateless: hand over records in blocks to spare the runner per-call work. */
    @Override
    public int batchSize() {
        return 64;
    }

    /** Rules read and replace a few string fields: every other field can pass through as bytes. */
    @Override
    public boolean compactRecords() {
        return true;
    }

    /**
     * The rules with their parameters and keywords, and the format, as text: no digest, so a refused
     * resume shows what changed (and start-up skips initialising the JDK's security providers).
     */
    @Override
    public String fingerprint() {
        return "rules=" + rules.describe() + " format=" + format;
    }

    @Override
    public List<Outcome> process(List<KunRecord> batch) {
        List<Outcome> outcomes = new ArrayList<>(batch.size());
        for (KunRecord record : batch) {
            outcomes.add(apply(record));
        }
        return outcomes;
    }

    /** The outcome of the whole rule set on one record. */
    public Outcome apply(KunRecord input) {
        KunRecord current = input;
        try {
            for (Rule rule : rules.rules()) {
                Verdict verdict = rule.apply(current);
                if (!verdict.isKept()) {
                    return Outcome.dropped(input, verdict.dropReason());
                }
                current = verdict.record();
            }
            return Outcome.kept(format.project(current));
        } catch (MissingFieldException e) {
            return Outcome.badInput(input, e.reason(), e.getMessage());
        }
    }
}
