package dev.kun.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.pipeline.Outcome;
import dev.kun.pipeline.Stage;
import dev.kun.record.Json;
import dev.kun.record.KunRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One model stage: renders each record's prompt with its {@link PromptTask}, generates, and hands each
 * generation back to the task. A prompt that does not fit the context is refused before any generation;
 * a request the backend could not run becomes a reject with the backend's reason; the rest of the batch
 * goes on. Each record samples with {@link Seeds#forRecord} of the run seed and its {@code id} (its
 * prompt text without one), so it draws the same random numbers whatever its batch or a resume.
 *
 * <p>It reads ahead: while the runner waits on one batch, the next batch's requests are already queued
 * behind it (a {@link GenerationStream} two batches deep), so the engine's slots stay full across batch
 * boundaries. Which requests decode together still depends only on the batches, never on timing, and
 * the runner never reads ahead across a checkpoint, so a resumed run is byte-identical to one that never
 * stopped.
 */
public final class PromptStage implements Stage {
    private final TextGenerator generator;
    private final PromptTask task;
    private final SamplingParams sampling;
    private final long runSeed;
    private final int batchSize;
    private GenerationStream stream;
    /** The batch the runner handed over early, not yet submitted. */
    private List<KunRecord> next;
    /** The batch submitted with the previous one, whose process call comes next. */
    private Submitted submitted;

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

    /** Yes: the next batch's requests join the engine's queue while this batch's last ones decode. */
    @Override
    public boolean readsAhead() {
        return true;
    }

    @Override
    public void ahead(List<KunRecord> next) {
        this.next = next;
    }

    /**
     * Submits this batch (unless it went in with the previous one) and the next one if the runner handed
     * it over, or else tells the backend that nothing follows until these are done; then waits for this
     * batch's generations. Two batches are in flight at a time, so the engine refills a slot from the
     * next batch while this one's longest generations finish, and what it decodes together still
     * depends only on the batches (see {@link GenerationStream}).
     */
    @Override
    public List<Outcome> process(List<KunRecord> batch) {
        Submitted current = submitted != null && submitted.records == batch ? submitted : null;
        if (current == null) {
            // The runner changed course (never in a normal run): start afresh from this batch.
            if (submitted != null) closeStream();
            current = submit(batch);
        }
        submitted = null;
        if (next != null) {
            submitted = submit(next);
            next = null;
        } else {
            stream().drain();
        }
        return current.outcomes();
    }

    /** The stream to the backend, opened on first use: two batches deep (this one and the next). */
    private GenerationStream stream() {
        if (stream == null) stream = generator.stream(2);
        return stream;
    }

    private void closeStream() {
        if (stream != null) stream.close();
        stream = null;
        submitted = null;
    }

    /** Gives up requests still in flight (a run that stopped early); the generator stays open. */
    @Override
    public void close() {
        closeStream();
    }

    /** Renders and checks each record's prompt, and submits those that run as one group. */
    private Submitted submit(List<KunRecord> batch) {
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
        // An empty group is submitted too: the stream counts groups.
        List<CompletableFuture<Generation>> futures = stream().submit(requests);
        if (futures.size() != requests.size()) {
            throw new IllegalStateException("generator returned " + futures.size() + " results for "
                    + requests.size() + " requests");
        }
        return new Submitted(batch, outcomes, prompted, requests, positions, futures);
    }

    /** One batch whose requests are in flight, and the outcomes of its records that needed none. */
    private final class Submitted {
        final List<KunRecord> records;
        final Outcome[] outcomes;
        /** Per record that was prompted: the record the task's complete sees (the task may have changed it). */
        final KunRecord[] prompted;
        final List<GenerationRequest> requests;
        final List<Integer> positions;
        final List<CompletableFuture<Generation>> futures;

        Submitted(List<KunRecord> records, Outcome[] outcomes, KunRecord[] prompted, List<GenerationRequest> requests,
                  List<Integer> positions, List<CompletableFuture<Generation>> futures) {
            this.records = records;
            this.outcomes = outcomes;
            this.prompted = prompted;
            this.requests = requests;
            this.positions = positions;
            this.futures = futures;
        }

        /** Waits for every generation and turns each into its record's outcome; a backend failure is rethrown. */
        List<Outcome> outcomes() {
            for (int k = 0; k < futures.size(); k++) {
                int i = positions.get(k);
                Generation g = result(futures.get(k));
                KunRecord record = records.get(i);
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

    private static Generation result(CompletableFuture<Generation> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) throw r;
            if (cause instanceof Error err) throw err;
            throw e;
        }
    }
}
