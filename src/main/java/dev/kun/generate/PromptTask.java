package dev.kun.generate;

import dev.kun.pipeline.Outcome;
import dev.kun.record.KunRecord;

/**
 * What one model stage makes of a record: the prompt it sends (or why the record cannot be prompted),
 * and the record it writes once the generation is back. {@link PromptStage} does the rest (batching,
 * seeds, context checks, failures, token counts); label, judge, polish and generate are tasks.
 */
public interface PromptTask {

    /** The stage name written into rejects and stats ("label", "judge", ...). */
    String name();

    /** Everything about the task's settings that changes its output (template, fields), for resume. */
    String fingerprint();

    /** The prompt for {@code record}, rendered with {@code tokenizer} where it must count tokens. */
    Prompt prompt(KunRecord record, Tokenizer tokenizer);

    /** The outcome of {@code record} given the generation for its {@code prompt}. */
    Outcome complete(KunRecord record, String prompt, Generation generation);

    /**
     * As {@link #complete(KunRecord, String, Generation)}, with the request as it was sent (its sampling
     * and the record's seed), for a task that writes how its field was made. {@code record} is the one
     * {@link Prompt#record()} gave, when it gave one.
     */
    default Outcome complete(KunRecord record, GenerationRequest request, Generation generation) {
        return complete(record, request.prompt(), generation);
    }

    /**
     * The outcome of a record whose prompt does not fit the model's context. By default a reject
     * {@code prompt_too_long}; {@code kun generate}, whose prompts are its input, calls it bad input.
     */
    default Outcome promptTooLong(KunRecord record, String message) {
        return Outcome.dropped(record.with("error", message), "prompt_too_long");
    }

    /**
     * A rendered prompt, or the outcome of a record that cannot be prompted (bad input, or a reject such
     * as a document over the token budget). {@code record}, when not null, is the record as the prompt
     * used it (polish's truncated instruction), handed to {@code complete} instead of the input.
     */
    record Prompt(String text, Outcome outcome, KunRecord record) {
        public Prompt(String text, Outcome outcome) {
            this(text, outcome, null);
        }

        public static Prompt of(String text) {
            return new Prompt(text, null);
        }

        /** {@code text}, made from {@code record} as changed for it. */
        public static Prompt of(String text, KunRecord record) {
            return new Prompt(text, null, record);
        }

        public static Prompt refused(Outcome outcome) {
            return new Prompt(null, outcome);
        }
    }
}
