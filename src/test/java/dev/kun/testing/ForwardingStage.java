package dev.kun.testing;

import dev.kun.pipeline.Outcome;
import dev.kun.pipeline.Stage;
import dev.kun.record.KunRecord;
import java.util.List;

/**
 * A stage that hands everything to another and changes only what a test asks for: a crash once it has
 * been handed more than N records (a kill inside the JVM), a pause before each batch, another batch
 * size, or settings added to the fingerprint.
 */
public final class ForwardingStage implements Stage {
    private final Stage inner;
    private long crashAfter = Long.MAX_VALUE;
    private long sleepMillis;
    private int batchSize;
    private String fingerprintSuffix = "";
    private long handed;

    private ForwardingStage(Stage inner) {
        this.inner = inner;
    }

    /** Forwards everything to {@code inner} until told otherwise. */
    public static ForwardingStage of(Stage inner) {
        return new ForwardingStage(inner);
    }

    /**
     * Throws {@link TestStages.SimulatedCrash} from the first batch that takes the records handed over
     * past {@code records}, before the inner stage sees it: the records of earlier batches were processed,
     * those of that batch were not.
     */
    public ForwardingStage crashAfter(long records) {
        this.crashAfter = records;
        return this;
    }

    /** Sleeps {@code millis} before each batch, so a test can kill the run while it is busy. */
    public ForwardingStage sleepMillis(long millis) {
        this.sleepMillis = millis;
        return this;
    }

    /** Hands over {@code records} per batch instead of the inner stage's own batch size. */
    public ForwardingStage batchSize(int records) {
        this.batchSize = records;
        return this;
    }

    /** Appends {@code suffix} to the inner stage's fingerprint, as a changed setting would. */
    public ForwardingStage fingerprintSuffix(String suffix) {
        this.fingerprintSuffix = suffix;
        return this;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public String fingerprint() {
        return inner.fingerprint() + fingerprintSuffix;
    }

    @Override
    public int batchSize() {
        return batchSize > 0 ? batchSize : inner.batchSize();
    }

    @Override
    public boolean compactRecords() {
        return inner.compactRecords();
    }

    @Override
    public void restore(KunRecord committed) {
        inner.restore(committed);
    }

    @Override
    public List<Outcome> process(List<KunRecord> batch) {
        handed += batch.size();
        if (handed > crashAfter) {
            throw new TestStages.SimulatedCrash();
        }
        if (sleepMillis > 0) {
            try {
                Thread.sleep(sleepMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return inner.process(batch);
    }

    @Override
    public void close() {
        inner.close();
    }
}
