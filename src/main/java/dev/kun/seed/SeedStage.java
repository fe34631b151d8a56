package dev.kun.seed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.pipeline.Outcome;
import dev.kun.pipeline.Stage;
import dev.kun.record.KunRecord;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Loads a corpus: cleans each document, drops it by rule (empty, length, tokens), removes exact and
 * near duplicates (first occurrence wins), optionally drops it by perplexity, and writes the
 * cleaned document to {@code text} (moved from {@code --text-field}, in that field's place) with a
 * stable {@code id} when the record has none; every other field is unchanged. The steps after
 * cleaning are {@link DocumentSieve}'s; {@code --invert} is {@link InvertStage}.
 */
public final class SeedStage implements Stage {
    public static final String NAME = "seed";
    public static final String EMPTY = "empty";
    public static final String DUPLICATE_EXACT = DocumentSieve.DUPLICATE_EXACT;
    public static final String DUPLICATE_NEAR = DocumentSieve.DUPLICATE_NEAR;
    public static final String PERPLEXITY = DocumentSieve.PERPLEXITY;
    public static final String MISSING_FIELD = DocumentSieve.MISSING_FIELD;
    /** Fields added under {@code --ppl-model}. */
    public static final String TOKENS = "tokens";
    public static final String PPL = "ppl";

    private final SeedConfig config;
    private final TextNormalizer normalizer;
    private final DocumentSieve sieve;

    /**
     * {@code tokens} is required when {@code config.maxTokens() > 0}, {@code scorer} when
     * {@code config.pplModel()} is set; both may be null otherwise. The caller keeps ownership of both.
     */
    public SeedStage(SeedConfig config, TokenCounter tokens, PerplexityScorer scorer) {
        if (config.invert()) {
            throw new IllegalArgumentException("an --invert configuration is InvertStage's");
        }
        this.config = config;
        this.normalizer = new TextNormalizer(config.nfkc());
        this.sieve = new DocumentSieve(config, tokens, scorer, this::read, this::document);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String fingerprint() {
        return sieve.fingerprint();
    }

    @Override
    public int batchSize() {
        return DocumentSieve.BATCH;
    }

    @Override
    public void restore(KunRecord committed) {
        String document = committed.string(KunRecord.TEXT);
        if (document == null) {
            throw new IllegalStateException("a committed record holds no seed document: " + committed.id());
        }
        sieve.restore(document);
    }

    @Override
    public List<Outcome> process(List<KunRecord> batch) {
        return sieve.process(batch);
    }

    private DocumentSieve.Candidate read(KunRecord record) {
        String field = config.textField();
        String raw = record.string(field);
        if (raw == null) {
            return DocumentSieve.Candidate.decided(Outcome.badInput(record, MISSING_FIELD,
                    "record has no string field '" + field + "' (--text-field names the field holding the document)"));
        }
        String document = normalizer.normalize(raw);
        if (document.isEmpty()) {
            return DocumentSieve.Candidate.decided(Outcome.dropped(record, EMPTY));
        }
        return new DocumentSieve.Candidate(record, document, null, null);
    }

    /** The record with the cleaned document in {@code text}, in the source field's place. */
    private KunRecord document(DocumentSieve.Candidate c, Perplexity p) {
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
}
