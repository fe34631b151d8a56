package dev.kun.polish;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.generate.FinishReason;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.PromptTask;
import dev.kun.generate.Provenance;
import dev.kun.generate.Tokenizer;
import dev.kun.pipeline.Outcome;
import dev.kun.prompt.ChatFormat;
import dev.kun.record.Json;
import dev.kun.record.KunRecord;
import java.util.Map;

/**
 * METHOD.md step 5: the answer model polishes the document into an answer to the instruction. The prompt
 * is the answer template framed by the chat format; when it is longer than the token budget (in the
 * answer model's own tokens), the instruction is cut to its longest prefix, in whole characters, with which
 * the prompt fits; the cut instruction is the record's from then on, since it is what the answer answers
 * (the original does the same; {@code kun.polish.original_instruction} keeps the uncut one). A document
 * that leaves no room for even one instruction token is a reject {@value #DOCUMENT_TOO_LONG}. The
 * generation, cut at the first stop string, replaces {@code output}; the document is kept in
 * {@code document}. An answer that ran out of tokens is a reject {@value #TRUNCATED} unless kept.
 */
public final class PolishTask implements PromptTask {
    public static final String NAME = "polish";
    public static final String DOCUMENT = "document";
    public static final String DOCUMENT_TOO_LONG = "document_too_long";
    public static final String TRUNCATED = "output_truncated";

    private final PolishConfig config;

    public PolishTask(PolishConfig config) {
        this.config = config;
    }

    public PolishConfig config() {
        return config;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String fingerprint() {
        return "document_field=" + config.documentField() + ";budget=" + config.budget() + ";template="
                + config.template().fingerprint() + ";chat=" + config.chat().fingerprint() + ";keep_truncated="
                + config.keepTruncated();
    }

    private String render(String document, String instruction) {
        return config.chat().render(config.template().render(Map.of("document", document, "response", document,
                "instruction", instruction, "generated_instruction", instruction)));
    }

    @Override
    public Prompt prompt(KunRecord record, Tokenizer tokenizer) {
        String document = record.string(config.documentField());
        String instruction = record.string(KunRecord.INSTRUCTION);
        for (String[] field : new String[][] {{config.documentField(), document}, {KunRecord.INSTRUCTION, instruction}}) {
            if (field[1] == null) {
                return Prompt.refused(Outcome.badInput(record, "missing_field", "no string field \"" + field[0] + "\""));
            }
        }
        ObjectNode made = Json.MAPPER.createObjectNode();
        String prompt = render(document, instruction);
        if (tokenizer.count(prompt) > config.budget()) {
            String cut = longestPrefixThatFits(document, instruction, tokenizer);
            if (cut.isEmpty()) {
                String message = "the prompt without the instruction has " + tokenizer.count(render(document, ""))
                        + " tokens; the budget of " + config.budget() + " leaves no room for the instruction (see --budget)";
                return Prompt.refused(Outcome.dropped(record.with("error", message), DOCUMENT_TOO_LONG));
            }
            made.put("original_instruction", instruction);
            instruction = cut;
            prompt = render(document, cut);
        }
        KunRecord prepared = Provenance.attach(record.with(KunRecord.INSTRUCTION, instruction), NAME, made);
        return Prompt.of(prompt, prepared);
    }

    /**
     * The longest prefix of {@code instruction}, in whole characters, whose prompt fits the budget in the
     * model's tokens (empty when none does). Counted on the whole rendered prompt, not on the instruction
     * alone: a SentencePiece tokenizer encodes a fragment with a leading space it does not have inside the
     * prompt, and a cut between the byte tokens of one character would leave half of it. Token counts grow
     * with the prefix, so a binary search over code points finds it in a few encodings.
     */
    private String longestPrefixThatFits(String document, String instruction, Tokenizer tokenizer) {
        int[] cps = instruction.codePoints().toArray();
        int fits = 0;
        int over = cps.length; // the whole instruction does not fit
        while (over - fits > 1) {
            int mid = (fits + over) >>> 1;
            if (tokenizer.count(render(document, new String(cps, 0, mid))) <= config.budget()) {
                fits = mid;
            } else {
                over = mid;
            }
        }
        return new String(cps, 0, fits);
    }

    @Override
    public Outcome complete(KunRecord record, String prompt, Generation generation) {
        return complete(record, (GenerationRequest) null, generation);
    }

    @Override
    public Outcome complete(KunRecord record, GenerationRequest request, Generation generation) {
        String document = record.string(config.documentField());
        String answer = ChatFormat.cut(generation.text(), config.chat().stops());
        boolean truncated = generation.finishReason() == FinishReason.LENGTH && answer.length() == generation.text().length();
        ObjectNode made = config.provenance().describe(request, generation);
        JsonNode cut = record.json().path(Provenance.FIELD).path(NAME);
        if (cut.isObject()) made.setAll((ObjectNode) cut);
        KunRecord out = record.with(DOCUMENT, document).with(KunRecord.OUTPUT, answer);
        out = Provenance.attach(out, NAME, made);
        if (truncated && !config.keepTruncated()) return Outcome.dropped(out, TRUNCATED);
        return Outcome.kept(out);
    }
}
