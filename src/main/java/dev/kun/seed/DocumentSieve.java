package dev.kun.seed;

import dev.kun.pipeline.Outcome;
import dev.kun.record.KunRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * The seed steps that follow reading and cleaning, shared by {@link SeedStage} and {@link InvertStage}:
 * the length and token rules, exact then near duplicates (the first occurrence wins), and perplexity.
 * A stage says how a record is read ({@link Reading}) and how a kept one is written ({@link Writing});
 * the sieve decides.
 *
 * <p>Order per record: read and clean, rules, duplicate lookup, perplexity, then the document is
 * registered as seen. Only kept documents are registered, so the dedup state is a function of the
 * output alone and {@link #restore} of each committed document rebuilds it.
 */
final class DocumentSieve {
    static final String DUPLICATE_EXACT = "duplicate_exact";
    static final String DUPLICATE_NEAR = "duplicate_near";
    static final String PERPLEXITY = "perplexity";
    static final String MISSING_FIELD = "missing_field";

    /**
     * Records per call: enough to spread cleaning, hashing and MinHash over every core, and to give
     * the perplexity model full batches.
     */
    static final int BATCH = 64;

    /** How a stage reads a record. */
    @FunctionalInterface
    interface Reading {
        /**
         * The record's cleaned document, or its outcome when reading already decides it. Called in
         * parallel: it must not touch shared state.
         */
        Candidate read(KunRecord record);
    }

    /** How a stage writes a kept record. */
    @FunctionalInterface
    interface Writing {
        /** The output record for a kept candidate; {@code p} is null without a perplexity model. */
        KunRecord write(Candidate kept, Perplexity p);
    }

    private final SeedConfig config;
    private final Reading reading;
    private final Writing writing;
    private final List<TextRule> rules = new ArrayList<>();
    private final TextRule tokenRule;
    private final PerplexityScorer scorer;
    private final Hash128Set exact;
    private final NearDuplicateIndex near;

    /**
     * {@code tokens} is required when {@code config.maxTokens() > 0}, {@code scorer} when
     * {@code config.pplModel()} is set; both may be null otherwise. The caller keeps ownership of both.
     */
    DocumentSieve(SeedConfig config, TokenCounter tokens, PerplexityScorer scorer, Reading reading, Writing writing) {
        this.config = config;
        this.reading = reading;
        this.writing = writing;
        rules.add(new LengthRule(config.minChars(), config.maxChars()));
        if (config.maxTokens() > 0) {
            if (tokens == null) {
                throw new IllegalArgumentException("maxTokens needs a token counter");
            }
            tokenRule = new TokenLimitRule(tokens, config.maxTokens());
        } else {
            tokenRule = null;
        }
        if (config.pplModel() != null && scorer == null) {
            throw new IllegalArgumentException("pplModel needs a perplexity scorer");
        }
        this.scorer = config.pplModel() != null ? scorer : null;
        this.exact = config.dedup() == SeedConfig.Dedup.NONE ? null : new Hash128Set();
        LshBands lsh = config.lshBands();
        // Permutations past bands x rows would never be read: 9 x 13 uses 117 of 128.
        this.near = config.dedup() == SeedConfig.Dedup.NEAR
                ? new NearDuplicateIndex(
                        new MinHash(config.ngram(), lsh.bands() * lsh.rows(), SeedConfig.MINHASH_SEED), lsh)
                : null;
    }

    /** The stage fingerprint: the configuration and the LSH shape derived from it. */
    String fingerprint() {
        // Bump the version when cleaning or hashing changes what a given configuration writes.
        return "seed/1 " + config + " lsh=" + (near == null ? "-" : near.lsh());
    }

    /** Registers a document already committed to the output as seen. */
    void restore(String document) {
        register(new Candidate(null, document, null, null));
    }

    /** One outcome per record of {@code batch}, in order. */
    List<Outcome> process(List<KunRecord> batch) {
        Outcome[] outcomes = new Outcome[batch.size()];
        // Cleaning, hashing and signatures depend on the record alone: computed in parallel; every
        // decision that depends on earlier records is taken below, in input order.
        Candidate[] prepared = new Candidate[batch.size()];
        IntStream.range(0, prepared.length).parallel().forEach(i -> prepared[i] = prepare(batch.get(i)));
        List<Candidate> pending = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            KunRecord record = batch.get(i);
            Candidate c = prepared[i];
            if (c.outcome == null && tokenRule != null) {
                String reason = tokenRule.check(c.document);
                if (reason != null) {
                    c = Candidate.decided(Outcome.dropped(record, reason));
                }
            }
            if (c.outcome != null) {
                outcomes[i] = c.outcome;
                continue;
            }
            String duplicate = duplicateReason(c);
            if (duplicate != null) {
                outcomes[i] = Outcome.dropped(record, duplicate);
                continue;
            }
            c.index = i;
            pending.add(c);
        }
        List<Perplexity> scores = null;
        if (scorer != null && !pending.isEmpty()) {
            List<String> texts = new ArrayList<>(pending.size());
            for (Candidate c : pending) {
                texts.add(c.document);
            }
            scores = scorer.score(texts);
            if (scores.size() != texts.size()) {
                throw new IllegalStateException("perplexity scorer returned " + scores.size() + " results for "
                        + texts.size() + " texts");
            }
        }
        for (int j = 0; j < pending.size(); j++) {
            Candidate c = pending.get(j);
            // Earlier records of this batch may have been registered since the first lookup; the
            // duplicate reason goes first so a record's reason does not depend on batch boundaries.
            String duplicate = duplicateReason(c);
            if (duplicate != null) {
                outcomes[c.index] = Outcome.dropped(c.record, duplicate);
                continue;
            }
            Perplexity p = scores == null ? null : scores.get(j);
            if (p != null && !(p.ppl() <= config.maxPpl())) {
                outcomes[c.index] = Outcome.dropped(c.record, PERPLEXITY).withTokens(p.tokens(), 0);
                continue;
            }
            register(c);
            Outcome kept = Outcome.kept(writing.write(c, p));
            // Stats count the tokens the perplexity model read.
            outcomes[c.index] = p == null ? kept : kept.withTokens(p.tokens(), 0);
        }
        return List.of(outcomes);
    }

    /**
     * The stage's reading, the rules and the hashes deduplication will need, computed ahead (in
     * parallel). The token rule, whose tokenizer may not be thread-safe, runs later in order.
     */
    private Candidate prepare(KunRecord record) {
        Candidate c = reading.read(record);
        if (c.outcome != null) {
            return c;
        }
        for (TextRule rule : rules) {
            String reason = rule.check(c.document);
            if (reason != null) {
                return Candidate.decided(Outcome.dropped(record, reason));
            }
        }
        if (exact != null) {
            c.hash();
            if (near != null) {
                c.bandKeys(near);
            }
        }
        return c;
    }

    private String duplicateReason(Candidate c) {
        if (exact == null) {
            return null;
        }
        Murmur3.Hash128 h = c.hash();
        if (exact.contains(h.h1(), h.h2())) {
            return DUPLICATE_EXACT;
        }
        if (near != null && near.matches(c.bandKeys(near))) {
            return DUPLICATE_NEAR;
        }
        return null;
    }

    private void register(Candidate c) {
        if (exact != null) {
            Murmur3.Hash128 h = c.hash();
            exact.add(h.h1(), h.h2());
        }
        if (near != null) {
            near.add(c.bandKeys(near));
        }
    }

    /**
     * One record on its way through the sieve: its cleaned document and, under {@code --invert}, its
     * cleaned instruction; {@code outcome} set when it is already decided. Hashes are computed at most once.
     */
    static final class Candidate {
        final KunRecord record;
        final String document;
        final String instruction;
        final Outcome outcome;
        int index;
        private Murmur3.Hash128 hash;
        private long[] bandKeys;

        Candidate(KunRecord record, String document, String instruction, Outcome outcome) {
            this.record = record;
            this.document = document;
            this.instruction = instruction;
            this.outcome = outcome;
        }

        static Candidate decided(Outcome outcome) {
            return new Candidate(null, null, null, outcome);
        }

        Murmur3.Hash128 hash() {
            if (hash == null) {
                hash = Murmur3.hash128(document.getBytes(StandardCharsets.UTF_8));
            }
            return hash;
        }

        long[] bandKeys(NearDuplicateIndex index) {
            if (bandKeys == null) {
                bandKeys = index.keys(document);
            }
            return bandKeys;
        }
    }
}
