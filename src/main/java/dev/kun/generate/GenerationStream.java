package dev.kun.generate;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Groups of requests from one producer that keeps {@code window} groups in flight: it submits group
 * g + window only once every group up to g has completed, or says {@link #drain} instead. A backend
 * that batches continuously can then start on the next group while the last sequences of the current
 * one still decode, and still decide what runs together from the groups alone, never from timing: the
 * in-process engine, once group g completes, takes no step before group g + window (or a drain) has
 * come, so a rerun that submits the same groups gets the same arithmetic, bit for bit.
 *
 * <p>The producer's contract: before it waits on group g, it has submitted every group up to
 * g + window - 1 or called {@link #drain}; after a drain it submits nothing until every group
 * submitted so far has completed (the groups that follow start afresh, as from an idle engine).
 */
public interface GenerationStream extends AutoCloseable {

    /** Submits the next group and returns at once: one future per request, in order (none for an empty group). */
    List<CompletableFuture<Generation>> submit(List<GenerationRequest> group);

    /** No group follows until every group submitted so far has completed (the end of the input, a checkpoint). */
    void drain();

    /** Gives up whatever has not completed (cancels its futures); the stream takes no more groups. */
    @Override
    void close();
}
