package dev.kun.pipeline;

/**
 * What a caller around a {@link StageRunner} hears and decides between batches: {@code kun run} refreshes
 * its report at every checkpoint and stops at a batch boundary on Ctrl-C.
 */
public interface RunListener {
    /** Hears nothing and never stops a run. */
    RunListener NONE = new RunListener() {};

    /** The counters as of a checkpoint just handed over for writing, and once more at the end of the run. */
    default void committed(StageStats stats) {}

    /**
     * Asked between batches. True ends the run as a failure would, with {@link dev.kun.error.ExitCodes#INTERRUPTED}:
     * nothing after the last checkpoint counts, and a rerun resumes from it.
     */
    default boolean stopRequested() {
        return false;
    }
}
