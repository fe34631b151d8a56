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
 * One model stage: renders each record's prompt with its {@link PromptTask}, generates, and hands each
 * generation back to the task. A prompt that does not fit the context is refused before any generation;
 * a request the backend could not run becomes a reject with the backend's reason; the rest of the batch
 * goes on. Each record samples with {@link Seeds#forRecord} of the run seed and its {@code id} (its
 * prompt text without one), so it draws the same random numbers whatever its batch or a resume.
 */
public final class PromptStage implements Stage {
    private final TextGenerator generator;
    private final PromptTask task;
    private final SamplingParams sampling;
    private final long runSeed;
    private final int batchSize;

    /**
     * @param batchSize records handed over at once; several times the engine's slots keeps them full
     */
    public PromptStage(TextGenerator generator, PromptTask task, SamplingParams sampling, long runSeed, int batchSize) {
        this.generator = generator;
        this.task = task;
        this.sampling = sampling;
        this.runSeed = runSeed;
        this.batchSize = batchSize;
    }

    @Override
    public String name() {
        return task.name();
    }

    /** The task's settings, the sampling, the seed and the backend's identity; not the batch size. */
    @Override
    public String fingerprint() {
        ObjectNode fp = Json.MAPPER.createObjectNode();
        fp.put("task", task.fingerprint());
        fp.put("seed", runSeed);
        fp.set("sampling", samplingJson(sampling));
        fp.put("backend", generator.fingerprint());
        return fp.toString();
    }

    /** The sampling settings as the fingerprint and provenance write them. */
    public static ObjectNode samplingJson(SamplingParams sampling) {
        ObjectNode s = Json.MAPPER.createObjectNode();
        s.put("temperature", sampling.temperature());
        s.put("top_p", sampling.topP());
        s.put("top_k", sampling.topK());
        s.put("repetition_penalty", sampling.repetitionPenalty());
        s.put("max_tokens", sampling.maxTokens());
        s.set("stop", Json.MAPPER.valueToTree(sampling.stopStrings()));
        s.set("stop_token_ids", Json.MAPPER.valueToTree(sampling.stopTokenIds()));
        return s;
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

    /** The sampling seed of {@code record}, whose prompt is {@code prompt}. */
    public long seedFor(KunRecord record, String prompt) {
        JsonNode id = record.json().get(KunRecord.ID);
        String key = id == null || id.isNull() ? prompt : id.isTextual() ? id.textValue() : id.toString();
        return Seeds.forRecord(runSeed, key);
    }

    @Override
    public List<Outcome> process(List<KunRecord> batch) {
        Outcome[] outcomes = new Outcome[batch.size()];
        KunRecord[] prompted = new KunRecord[batch.size()];
        List<GenerationRequest> requests = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        int maxPromptTokens = generator.contextLength() - 1;
        Tokenizer tokenizer = generator.tokenizer();
        for (int i = 0; i < batch.size(); i++) {
            KunRecord record = batch.get(i);
            PromptTask.Prompt prompt = task.prompt(record, tokenizer);
            if (prompt.outcome() != null) {
                outcomes[i] = prompt.outcome();
                continue;
            }
            String text = prompt.text();
            int tokens = text.isEmpty() ? 0 : generator.countTokens(text);
            if (tokens == 0) {
                outcomes[i] = Outcome.badInput(record, "empty_prompt", "the prompt is empty");
            } else if (tokens > maxPromptTokens) {
                outcomes[i] = task.promptTooLong(record, "the prompt has " + tokens
                        + " tokens; the model's context leaves room for " + maxPromptTokens + " (see --max-context)");
            } else {
                prompted[i] = prompt.record() != null ? prompt.record() : record;
                requests.add(new GenerationRequest(text, sampling, seedFor(record, text)));
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
            KunRecord record = batch.get(i);
            if (g.isFailure()) {
                outcomes[i] = g.failure().reason().equals("prompt_too_long")
                        ? task.promptTooLong(record, g.failure().message())
                        : Outcome.dropped(record.with("error", g.failure().message()), g.failure().reason());
            } else {
                outcomes[i] = task.complete(prompted[i], requests.get(k), g).withTokens(g.promptTokens(), g.generatedTokens());
            }
        }
        return List.of(outcomes);
    }
}
