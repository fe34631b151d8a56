package dev.kun.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.PromptStage;
import dev.kun.generate.PromptTask;
import dev.kun.generate.SamplingParams;
import dev.kun.pipeline.Stage;
import dev.kun.record.Json;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One stage of {@code kun run}: its name (which names its files in the work directory), the model it
 * needs (null for a rule stage), the field its model writes (for the report's length distribution), how
 * often it checkpoints, and how to build its {@link Stage} once the model is open. Adding a stage to the
 * run is adding one of these to the list.
 *
 * @param about what the report says about the stage's settings (its model; a prompt stage's sampling and seed are
 *     added when it is built)
 */
public record Step(String name, BackendSpec backend, String generatedField, int checkpointEvery,
        Function<Model, Stage> stage, ObjectNode about) {

    /**
     * Records between checkpoints of a stage without a model: its records cost microseconds, so fsyncs
     * would dominate a smaller count.
     */
    public static final int RULES_CHECKPOINT_EVERY = 10_000;
    /**
     * Records between checkpoints of a model stage: a crash loses at most this much generation, and it is
     * a multiple of the 64 records a default batch hands over (4 x --batch-size 16), so batches stay full.
     */
    public static final int MODEL_CHECKPOINT_EVERY = 256;

    public Step {
        if (!name.matches("[a-z][a-z0-9_]*")) throw new IllegalArgumentException("step name must be snake_case: " + name);
    }

    /** A stage that needs no model (seed, the rule filters). */
    public static Step rules(String name, Supplier<Stage> stage) {
        return new Step(name, null, null, RULES_CHECKPOINT_EVERY, model -> stage.get(), Json.MAPPER.createObjectNode());
    }

    /**
     * A model stage built on {@code backend}'s model (shared with the run's other stages on it); its model
     * writes {@code generatedField}.
     */
    public static Step model(String name, BackendSpec backend, String generatedField, Function<Model, Stage> stage) {
        ObjectNode about = Json.MAPPER.createObjectNode();
        about.put("model", backend.describe());
        return new Step(name, backend, generatedField, MODEL_CHECKPOINT_EVERY, stage, about);
    }

    /**
     * The usual model stage: {@code task} on a {@link PromptStage} with {@code sampling} and {@code seed},
     * handed several engine batches at once so every decode slot stays busy while sequences finish.
     */
    public static Step prompt(String name, BackendSpec backend, SamplingParams sampling, long seed, String generatedField,
            PromptTask task) {
        return model(name, backend, generatedField,
                model -> new PromptStage(model.generator(), task, sampling, seed, 4 * backend.slots()));
    }

    public boolean needsModel() {
        return backend != null;
    }

    /** This step checkpointing every {@code n} records. */
    public Step withCheckpointEvery(int n) {
        return new Step(name, backend, generatedField, n, stage, about);
    }
}
