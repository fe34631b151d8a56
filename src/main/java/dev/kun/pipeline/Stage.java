package dev.kun.pipeline;

import dev.kun.record.KunRecord;
import java.util.List;

/**
 * One step of the pipeline: records in, one {@link Outcome} per record out, in input order. The
 * runner owns reading, writing, rejects, statistics, progress and resume; a stage owns only its
 * transformation.
 */
public interface Stage extends AutoCloseable {

    /** Short name written into rejects and stats ("seed", "filter", ...). */
    String name();

    /**
     * Everything about this stage's configuration that changes its output; a resume refuses a
     * checkpoint written under a different fingerprint.
     */
    String fingerprint();

    /** How many records the runner should hand over at once (model stages batch). */
    default int batchSize() {
        return 1;
    }

    /**
     * True when the stage touches records only through {@link KunRecord}'s field accessors
     * ({@code string}, {@code has}, {@code with}, {@code without}): the runner then keeps JSONL records
     * as their bytes, decoding only the fields asked for and copying the rest to the output. A stage that
     * walks {@link KunRecord#json()} should keep the default, since building the tree later costs more.
     */
    default boolean compactRecords() {
        return false;
    }

    /**
     * Called on resume for each record already committed to the output, in order, before any new
     * record is processed, so a stateful stage (deduplication) rebuilds exactly the state it had.
     */
    default void restore(KunRecord committed) {}

    /**
     * True when the stage wants each next batch before it processes the current one ({@link #ahead}),
     * as a model stage does to keep its engine's slots full across batch boundaries. The runner then
     * reads one batch ahead, never across a checkpoint: a checkpoint still commits only records whose
     * outcomes are written, and a record handed over early but not committed is simply redone after a
     * crash.
     */
    default boolean readsAhead() {
        return false;
    }

    /**
     * The batch the runner will pass to {@link #process} next, handed over before the current batch's
     * process call (only when {@link #readsAhead}); the stage may start work on it, but its outcomes
     * still come from that process call. A process call not preceded by one is the last before a
     * checkpoint, the end of the input, or a batch that stops the run.
     */
    default void ahead(List<KunRecord> next) {}

    /** Processes {@code batch}; returns exactly one outcome per record, in the same order. */
    List<Outcome> process(List<KunRecord> batch);

    @Override
    default void close() {}
}
