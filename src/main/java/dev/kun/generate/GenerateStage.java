package dev.kun.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.pipeline.Outcome;
import dev.kun.pipeline.Stage;
import dev.kun.record.Json;
import dev.kun.record.KunRecord;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code kun generate} as a stage: completes each record's prompt and writes the record back with
 * {@code generation}, {@code prompt_tokens}, {@code generated_tokens} and {@code finish_reason}
 * ("stop" or "length") added. Each record samples with {@link Seeds#forRecord} of the run seed and the
 * record's {@code id} (its JSON text when not a string); a record without an id uses its prompt text
 * instead, so identical prompts without ids get identical generations. Either way a record draws the
 * same random numbers whatever its batch or a resume (the arithmetic may differ in the last bits with
 * the batch's shape; a resume with the same batches is byte-identical).
 */
public final class GenerateStage implements Stage {
    public static final String GENERATION = "generation";
    public static final String PROMPT_TOKENS = "prompt_tokens";
    public static final String GENERATED_TOKENS = "generated_tokens";
    public static final String FINISH_REASON = "finish_reason";

    private final TextGenerator generator;
    private final SamplingParams sampling;
    private final long runSeed;
    private final String promptField;
    private final int batchSize;
    private final int maxPromptTokens;
    private final String backendFingerprint;

    /**
     * @param batchSize records handed over at once; several times the engine's slots keeps them full
     * @param maxPromptTokens longest prompt the backend accepts (its context minus one generated token);
     *     a longer prompt is bad input of its own record ("prompt_too_long") instead of failing the batch
     * @param backendFingerprint what about the backend changes output (model, dtype, device, context), for
     *     resume; it covers maxPromptTokens, which follows from the model and the context
     */
    public GenerateStage(TextGenerator generator, SamplingParams sampling, long runSeed, String promptField,
            int batchSize, int maxPromptTokens, String backendFingerprint) {
        this.generator = generator;
        this.sampling = sampling;
        this.runSeed = runSeed;
        this.promptField = promptField;
        this.batchSize = batchSize;
        this.maxPromptTokens = maxPromptTokens;
        this.backendFingerprint = backendFingerprint;
    }

    @Override
    public String name() {
        return "generate";
    }

    @Override
    public String fingerprint() {
        ObjectNode fp = Json.MAPPER.createObjectNode();
        fp.put("prompt_field", promptField);
        fp.put("seed", runSeed);
        fp.put("temperature", sampling.temperature());
        fp.put("top_p", sampling.topP());
        fp.put("top_k", sampling.topK());
        fp.put("repetition_penalty", sampling.repetitionPenalty());
        fp.put("max_tokens", sampling.maxTokens());
        fp.set("stop", Json.MAPPER.valueToTree(sampling.stopStrings()));
        fp.set("stop_token_ids", Json.MAPPER.valueToTree(sampling.stopTokenIds()));
        fp.put("backend", backendFingerprint);
        return fp.toString();
    }

    @Override
    public int batchSize() {
        return batchSize;
    }

    public SamplingParams sampling() {
        return sampling;
    }

    public long runSeed() {
        return runSeed;
    }

    public String promptField() {
        return promptField;
    }

    /** The sampling seed of {@code record}, whose prompt is {@code prompt}. */
    public long seedFor(KunRecord record, String prompt) {
        JsonNode id = record.json().get(KunRecord.ID);
        String key = id == null || id.isNull() ? prompt : id.isTextual() ? id.textValue() : id.toString();
        return Seeds.forRecord(runSeed, key);
    }

    @Override
    public List<Outcome> process(List<KunRecord> batch) {
        Outcome[] outcomes = new Outcome[batch.size()];
        List<GenerationRequest> requests = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            KunRecord record = batch.get(i);
            int tokens = 0;
            String prompt = record.string(promptField);
            if (prompt == null) {
                outcomes[i] = Outcome.badInput(record, "missing_field", "no string field \"" + promptField + "\"");
            } else if (prompt.isEmpty() || (tokens = generator.countTokens(prompt)) == 0) {
                outcomes[i] = Outcome.badInput(record, "empty_prompt", "field \"" + promptField + "\" is empty");
            } else if (tokens > maxPromptTokens) {
                outcomes[i] = Outcome.badInput(record, "prompt_too_long", "the prompt has " + tokens
                        + " tokens; the model's context leaves room for " + maxPromptTokens + " (see --max-context)");
            } else {
                requests.add(new GenerationRequest(prompt, sampling, seedFor(record, prompt)));
                positions.add(i);
            }
        }
        List<Generation> generations = requests.isEmpty() ? List.of() : generator.generate(requests);
        if (generations.size() != requests.size()) {
            throw new IllegalStateException("generator returned " + generations.size() + " results for "
                    + requests.size() + " requests");
        }
        for (int k = 0; k < generations.size(); k++) {
            int i = positions.get(k);
            Generation g = generations.get(k);
            ObjectNode json = batch.get(i).json().deepCopy();
            json.put(GENERATION, g.text());
            json.put(PROMPT_TOKENS, g.promptTokens());
            json.put(GENERATED_TOKENS, g.generatedTokens());
            json.put(FINISH_REASON, g.finishReason().wireName());
            outcomes[i] = Outcome.kept(new KunRecord(json)).withTokens(g.promptTokens(), g.generatedTokens());
        }
        return List.of(outcomes);
    }
}
