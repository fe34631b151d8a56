package dev.kun.run;

import dev.kun.pipeline.Outcome;
import dev.kun.pipeline.Stage;
import dev.kun.record.KunRecord;
import java.util.List;

/**
 * A stage that also closes what it was built on when it closes (a tokenizer, a perplexity model), so a
 * run's stage factory can hand both over as one.
 */
public final class ClosingStage implements Stage {
    private final Stage stage;
    private final AutoCloseable[] resources;

    /** {@code stage}, closing {@code resources} (nulls skipped) after itself, last first. */
    public ClosingStage(Stage stage, AutoCloseable... resources) {
        this.stage = stage;
        this.resources = resources.clone();
    }

    @Override
    public String name() {
        return stage.name();
    }

    @Override
    public String fingerprint() {
        return stage.fingerprint();
    }

    @Override
    public int batchSize() {
        return stage.batchSize();
    }

    @Override
    public boolean compactRecords() {
        return stage.compactRecords();
    }

    @Override
    public void restore(KunRecord committed) {
        stage.restore(committed);
    }

    @Override
    public List<Outcome> process(List<KunRecord> batch) {
        return stage.process(batch);
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        try {
            stage.close();
        } catch (RuntimeException e) {
            failure = e;
        }
        for (int i = resources.length - 1; i >= 0; i--) {
            if (resources[i] == null) continue;
            try {
                resources[i].close();
            } catch (Exception e) {
                if (failure == null) failure = e instanceof RuntimeException re ? re : new IllegalStateException(e);
            }
        }
        if (failure != null) throw failure;
    }
}
