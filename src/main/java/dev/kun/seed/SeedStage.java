package dev.kun.seed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.pipeline.Outcome;
import dev.kun.pipeline.Stage;
import dev.kun.prompt.ChatMlPrompt;
import dev.kun.prompt.LabelPrompt;
import dev.kun.record.KunRecord;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Loads a corpus: cleans each document, drops it by rule (empty, length, tokens), removes exact and
 * near duplicates (first occurrence wins), optionally drops it by perplexity, and writes the
 * cleaned document to {@code text} (moved from {@code --text-field}, in that field's place) with a
 * stable {@code id} when the record has none; every other field is unchanged. Under
 * {@code --invert} a seed pair becomes a label-model training pair instead.
 *
 * <p>Order per record: clean, rules, duplicate lookup, perplexity, then the record is registered as
 * seen. Only kept records are registered, so the dedup state is a function of the output alone and
 * {@link #restore} rebuilds it from the records already written.
 */
public final class SeedStage implements Stage {
    public static final String NAME = "seed";
    public static final String EMPTY = "empty";
    public static final String EMPTY_OUTPUT = "empty_output";
    public static final String EMPTY_INSTRUCTION = "empty_instruction";
    public static final String DUPLICATE_EXACT = "duplicate_exact";
    public static final String DUPLICATE_NEAR = "duplicate_near";
    public static final String PERPLEXITY = "perplexity";
    public static final String MISSING_FIELD = "missing_field";
    /** Fields added under {@code --ppl-model}. */
    public static final String TOKENS = "tokens";
    public static final String PPL = "ppl";
    public static final String PROMPT = "prompt";
    public static final String COMPLETION = "completion";
    public static final String MESSAGES = "messages";

    /**
     * Records per call: enough to spread cleaning, hashing and MinHash over every core, and to give
     * the perplexity model full batches.
     */
    private static final int BATCH = 64;

    private final SeedConfig config;
    private final TextNormalizer normalizer;
    private final List<TextRule> rules = new ArrayList<>();
    private final TextRule tokenRule;
    private final PerplexityScorer scorer;
    private final Hash128Set exact;
    private final NearDuplicateIndex near;

    /**
     * {@code tokens} is required when {@code config.maxTokens() > 0}, {@code scorer} when
     * {@code config.pplModel()} is set; both may be null otherwise. The caller keeps ownership of both.
     */
    public SeedStage(SeedConfig config, TokenCounter tokens, PerplexityScorer scorer) {
        this.config = config;
        this.normalizer = new TextNormalizer(config.nfkc());
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

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String fingerprint() {
        // Bump the version when cleaning or hashing changes what a given configuration writes.
        return "seed/1 " + config + " lsh=" + (near == null ? "-" : near.lsh());
    }

    @Override
    public int batchSize() {
        return BATCH;
    }

    @Override
    public void restore(KunRecord committed) {
        String document = committedDocument(committed);
        if (document == null) {
            throw new IllegalStateException("a committed record holds no seed document: " + committed.id());
        }
        register(new Candidate(null, document, null, null));
    }

    @Override
    public List<Outcome> process(List<KunRecord> batch) {
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
            Outcome kept = Outcome.kept(config.invert() ? pair(c) : document(c, p));
            // Stats count the tokens the perplexity model read.
            outcomes[c.index] = p == null ? kept : kept.withTokens(p.tokens(), 0);
        }
        return List.of(outcomes);
    }

    /** {@link #clean} plus the hashes deduplication will need, computed ahead (in parallel). */
    private Candidate prepare(KunRecord record) {
        Candidate c = clean(record);
        if (c.outcome == null && exact != null) {
            c.hash();
            if (near != null) {
                c.bandKeys(near);
            }
        }
        return c;
    }

    /**
     * The cleaned document and what else the record needs; {@code outcome} set when it is already
     * decided. Thread-safe: the token rule, whose tokenizer may not be, runs later in order.
     */
    private Candidate clean(KunRecord record) {
        String field = config.textField();
        String raw = record.string(field);
        if (raw == null) {
            return Candidate.decided(Outcome.badInput(record, MISSING_FIELD,
                    "record has no string field '" + field + "'"
                            + (config.invert() ? "" : " (--text-field names the field holding the document)")));
        }
        String instruction = null;
        if (config.invert()) {
            String rawInstruction = record.string(KunRecord.INSTRUCTION);
            if (rawInstruction == null) {
                return Candidate.decided(Outcome.badInput(record, MISSING_FIELD,
                        "record has no string field 'instruction'"));
            }
            JsonNode input = record.json().get(KunRecord.INPUT);
            if (input != null && !input.isNull() && !input.isTextual()) {
                return Candidate.decided(Outcome.badInput(record, MISSING_FIELD,
                        "field 'input' is not a string"));
            }
            instruction = normalizer.normalize(rawInstruction);
            String cleanInput = input == null || input.isNull() ? "" : normalizer.normalize(input.textValue());
            if (!cleanInput.isEmpty()) {
                // The label model must write a self-contained instruction, so the input goes with it.
                instruction = instruction.isEmpty() ? cleanInput : instruction + "\n" + cleanInput;
            }
        }
        String document = normalizer.normalize(raw);
        if (document.isEmpty()) {
            return Candidate.decided(Outcome.dropped(record, config.invert() ? EMPTY_OUTPUT : EMPTY));
        }
        if (instruction != null && instruction.isEmpty()) {
            return Candidate.decided(Outcome.dropped(record, EMPTY_INSTRUCTION));
        }
        for (TextRule rule : rules) {
            String reason = rule.check(document);
            if (reason != null) {
                return Candidate.decided(Outcome.dropped(record, reason));
            }
        }
        return new Candidate(record, document, instruction, null);
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

    /** The record with the cleaned document in {@code text}, in the source field's place. */
    private KunRecord document(Candidate c, Perplexity p) {
        ObjectNode source = c.record.json();
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        JsonNode id = source.get(KunRecord.ID);
        if (id == null || id.isNull()) {
            out.put(KunRecord.ID, StableId.of(c.hash()));
        }
        String field = config.textField();
        for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (name.equals(field)) {
                out.put(KunRecord.TEXT, c.document);
            } else if (name.equals(KunRecord.TEXT)) {
                continue; // replaced by the document moved from --text-field
            } else if (name.equals(KunRecord.ID) && e.getValue().isNull()) {
                continue; // a null id was replaced above
            } else {
                out.set(name, e.getValue());
            }
        }
        if (p != null) {
            out.put(TOKENS, p.tokens());
            out.put(PPL, p.ppl());
        }
        return new KunRecord(out);
    }

    /** The label-model training pair: response in the prompt, instruction as the completion. */
    private KunRecord pair(Candidate c) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        JsonNode id = c.record.json().get(KunRecord.ID);
        if (id == null || id.isNull()) {
            out.put(KunRecord.ID, StableId.of(c.hash()));
        } else {
            out.set(KunRecord.ID, id);
        }
        if (config.sftFormat() == SeedConfig.SftFormat.MESSAGES) {
            ArrayNode messages = out.putArray(MESSAGES);
            messages.addObject().put("role", "user").put("content", LabelPrompt.userContent(c.document));
            messages.addObject().put("role", "assistant").put("content", c.instruction);
        } else {
            out.put(PROMPT, LabelPrompt.render(c.document));
            // The assistant turn ends where the label stage stops generating.
            out.put(COMPLETION, c.instruction + ChatMlPrompt.IM_END);
        }
        return new KunRecord(out);
    }

    private String committedDocument(KunRecord committed) {
        if (!config.invert()) {
            return committed.string(KunRecord.TEXT);
        }
        if (config.sftFormat() == SeedConfig.SftFormat.MESSAGES) {
            JsonNode content = committed.json().path(MESSAGES).path(0).path("content");
            return content.isTextual() ? LabelPrompt.documentOfContent(content.textValue()) : null;
        }
        String prompt = committed.string(PROMPT);
        return prompt == null ? null : LabelPrompt.documentOf(prompt);
    }

    /** One record on its way through the stage; hashes are computed at most once. */
    private static final class Candidate {
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
