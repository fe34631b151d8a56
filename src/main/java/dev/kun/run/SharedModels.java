package dev.kun.run;

import dev.kun.generate.BackendSpec;
import dev.kun.generate.TextGenerator;
import dev.kun.generate.TextScorer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The models of a run, each opened once however many stages use it: stages that name the same model,
 * device, devices, precision and context share one. A model is opened when its first stage asks for it
 * (so a run that stops early never loads the later ones) and closed when its last stage ends (so the next
 * stage's model has the memory). Stages sharing a model may ask for different batch sizes: the model is
 * opened with the largest, and each stage still hands over its own.
 */
final class SharedModels implements AutoCloseable {
    private final Function<BackendSpec, TextGenerator> generators;
    private final Function<BackendSpec, TextScorer> scorers;
    /** Per model: the spec it is opened with (the largest batch size among its stages). */
    private final Map<BackendSpec, BackendSpec> openWith = new LinkedHashMap<>();
    /** Per model: the stages, by name, that run on it. */
    private final Map<BackendSpec, List<String>> users = new HashMap<>();
    /** Per model: those of its stages that still have to run. */
    private final Map<BackendSpec, List<String>> left = new HashMap<>();
    private final Map<BackendSpec, Loaded> open = new HashMap<>();

    SharedModels(List<Step> steps, Function<BackendSpec, TextGenerator> generators, Function<BackendSpec, TextScorer> scorers) {
        this.generators = generators;
        this.scorers = scorers;
        for (Step step : steps) {
            if (!step.needsModel()) continue;
            BackendSpec key = key(step.backend());
            openWith.merge(key, step.backend(), (a, b) -> a.batchSize() >= b.batchSize() ? a : b);
            users.computeIfAbsent(key, k -> new ArrayList<>()).add(step.name());
            left.computeIfAbsent(key, k -> new ArrayList<>()).add(step.name());
        }
    }

    /**
     * What makes two stages' models one: everything but the batch size, with the path made absolute (an
     * endpoint's servers, model name and settings included).
     */
    static BackendSpec key(BackendSpec spec) {
        return new BackendSpec(spec.model() == null ? null : spec.model().toAbsolutePath().normalize(), spec.device(),
                spec.devices(), spec.dtype(), 0, spec.maxContext(), spec.tokenizerSource(), spec.endpoint());
    }

    /** The stages that share {@code step}'s model, in run order (itself included). */
    List<String> sharing(Step step) {
        return users.getOrDefault(key(step.backend()), List.of());
    }

    /** {@code step}'s model, shared; nothing is loaded until the stage asks for the generator or the scorer. */
    Model acquire(Step step) {
        return open.computeIfAbsent(key(step.backend()), k -> new Loaded(openWith.get(k)));
    }

    /** {@code step} is done with its model; the model is closed when no later stage needs it. */
    void release(Step step) {
        BackendSpec key = key(step.backend());
        List<String> remaining = left.get(key);
        remaining.remove(step.name());
        if (remaining.isEmpty()) {
            Loaded model = open.remove(key);
            if (model != null) model.close();
        }
    }

    /** Closes every model still open (a run that failed or stopped midway). */
    @Override
    public void close() {
        RuntimeException first = null;
        for (Loaded model : open.values()) {
            try {
                model.close();
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        open.clear();
        if (first != null) throw first;
    }

    /** One model, opened as a generator, a scorer or both on first use; one object when the backend is both. */
    private final class Loaded implements Model {
        private final BackendSpec spec;
        private TextGenerator generator;
        private TextScorer scorer;

        Loaded(BackendSpec spec) {
            this.spec = spec;
        }

        @Override
        public TextGenerator generator() {
            if (generator == null) {
                generator = scorer instanceof TextGenerator both ? both : generators.apply(spec);
            }
            return generator;
        }

        @Override
        public TextScorer scorer() {
            if (scorer == null) {
                scorer = generator instanceof TextScorer both ? both : scorers.apply(spec);
            }
            return scorer;
        }

        void close() {
            RuntimeException failure = null;
            if (generator != null) {
                try {
                    generator.close();
                } catch (RuntimeException e) {
                    failure = e;
                }
            }
            if (scorer != null && scorer != generator) {
                try {
                    scorer.close();
                } catch (RuntimeException e) {
                    if (failure == null) failure = e;
                }
            }
            if (failure != null) throw failure;
        }
    }
}
