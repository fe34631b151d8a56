package dev.kun.run;

import dev.kun.generate.BackendSpec;
import dev.kun.generate.TextGenerator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The models of a run, each opened once however many stages use it: stages that name the same model,
 * device, devices, precision and context share one generator. A model is opened when its first stage
 * starts (so a run that stops early never loads the later ones) and closed when its last stage ends (so
 * the next stage's model has the memory). Stages sharing a model may ask for different batch sizes: the
 * model is opened with the largest, and each stage still hands over its own.
 */
final class SharedModels implements AutoCloseable {
    private final Function<BackendSpec, TextGenerator> opener;
    /** Per model: the spec it is opened with (the largest batch size among its stages). */
    private final Map<BackendSpec, BackendSpec> openWith = new LinkedHashMap<>();
    /** Per model: the stages, by name, that still have to run on it. */
    private final Map<BackendSpec, List<String>> users = new HashMap<>();
    private final Map<BackendSpec, TextGenerator> open = new HashMap<>();

    SharedModels(List<Step> steps, Function<BackendSpec, TextGenerator> opener) {
        this.opener = opener;
        for (Step step : steps) {
            if (!step.needsModel()) continue;
            BackendSpec key = key(step.backend());
            openWith.merge(key, step.backend(), (a, b) -> a.batchSize() >= b.batchSize() ? a : b);
            users.computeIfAbsent(key, k -> new ArrayList<>()).add(step.name());
        }
    }

    /** What makes two stages' models one: everything but the batch size, with the path made absolute. */
    static BackendSpec key(BackendSpec spec) {
        return new BackendSpec(spec.model().toAbsolutePath().normalize(), spec.device(), spec.devices(), spec.dtype(), 0,
                spec.maxContext(), spec.tokenizerSource());
    }

    /** Distinct models the run uses. */
    int count() {
        return openWith.size();
    }

    /** The stages that share {@code step}'s model, in run order (itself included). */
    List<String> sharing(Step step) {
        return users.getOrDefault(key(step.backend()), List.of());
    }

    /** The generator of {@code step}'s model, opened now if this is the first stage to need it. */
    TextGenerator acquire(Step step) {
        BackendSpec key = key(step.backend());
        TextGenerator generator = open.get(key);
        if (generator == null) {
            generator = opener.apply(openWith.get(key));
            open.put(key, generator);
        }
        return generator;
    }

    /** {@code step} is done with its model; the model is closed when no later stage needs it. */
    void release(Step step) {
        BackendSpec key = key(step.backend());
        List<String> left = users.get(key);
        left.remove(step.name());
        if (left.isEmpty()) {
            TextGenerator generator = open.remove(key);
            if (generator != null) generator.close();
        }
    }

    /** Closes every model still open (a run that failed or stopped midway). */
    @Override
    public void close() {
        RuntimeException first = null;
        for (TextGenerator generator : open.values()) {
            try {
                generator.close();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        open.clear();
        if (first != null) throw first;
    }
}
