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
import java.util.List;

/**
 * {@code kun seed --invert}: turns a seed-instruction set into label-model training pairs, the
 * response in the label prompt and the instruction (with its input) as the completion. The response
 * goes through the seed steps as a corpus document does ({@link DocumentSieve}: cleaning, rules,
 * duplicates, perplexity); the stage is named {@code seed} in rejects and stats, as the command is.
 */
public final class InvertStage implements Stage {
    public static final String EMPTY_OUTPUT = "empty_output";
    public static final String EMPTY_INSTRUCTION = "empty_instruction";
    public static final String PROMPT = "prompt";
    public static final String COMPLETION = "completion";
    public static final String MESSAGES = "messages";

    private final SeedConfig config;
    private final TextNormalizer normalizer;
    private final DocumentSieve sieve;

    /**
     * {@code config} must have {@code invert} set. {@code tokens} is required when
     * {@code config.maxTokens() > 0}, {@code scorer} when {@code config.pplModel()} is set; both may be
     * null otherwise. The caller keeps ownership of both.
     */
    public InvertStage(SeedConfig config, TokenCounter tokens, PerplexityScorer scorer) {
        if (!config.invert()) {
            throw new IllegalArgumentException("InvertStage needs an --invert configuration");
        }
        this.config = config;
        this.normalizer = new TextNormalizer(config.nfkc());
        this.sieve = new DocumentSieve(config, tokens, scorer, this::read, this::pair);
    }

    @Override
    public String name() {
        return SeedStage.NAME;
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
        String document = committedDocument(committed);
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
            return missing(record, "record has no string field '" + field + "'");
        }
        String rawInstruction = record.string(KunRecord.INSTRUCTION);
        if (rawInstruction == null) {
            return missing(record, "record has no string field 'instruction'");
        }
        JsonNode input = record.json().get(KunRecord.INPUT);
        if (input != null && !input.isNull() && !input.isTextual()) {
            return missing(record, "field 'input' is not a string");
        }
        String instruction = normalizer.normalize(rawInstruction);
        String cleanInput = input == null || input.isNull() ? "" : normalizer.normalize(input.textValue());
        if (!cleanInput.isEmpty()) {
            // The label model must write a self-contained instruction, so the input goes with it.
            instruction = instruction.isEmpty() ? cleanInput : instruction + "\n" + cleanInput;
        }
        String document = normalizer.normalize(raw);
        if (document.isEmpty()) {
            return DocumentSieve.Candidate.decided(Outcome.dropped(record, EMPTY_OUTPUT));
        }
        if (instruction.isEmpty()) {
            return DocumentSieve.Candidate.decided(Outcome.dropped(record, EMPTY_INSTRUCTION));
        }
        return new DocumentSieve.Candidate(record, document, instruction, null);
    }

    private static DocumentSieve.Candidate missing(KunRecord record, String message) {
        return DocumentSieve.Candidate.decided(Outcome.badInput(record, DocumentSieve.MISSING_FIELD, message));
    }

    /**
     * The label-model training pair: response in the prompt, instruction as the completion. It carries
     * no {@code tokens} or {@code ppl}; the perplexity rule has been applied to the response all the same.
     */
    private KunRecord pair(DocumentSieve.Candidate c, Perplexity p) {
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

    /** The response inside a pair this stage wrote, or null when {@code committed} is not one. */
    private String committedDocument(KunRecord committed) {
        if (config.sftFormat() == SeedConfig.SftFormat.MESSAGES) {
            JsonNode content = committed.json().path(MESSAGES).path(0).path("content");
            return content.isTextual() ? LabelPrompt.documentOfContent(content.textValue()) : null;
        }
        String prompt = committed.string(PROMPT);
        return prompt == null ? null : LabelPrompt.documentOf(prompt);
    }
}
