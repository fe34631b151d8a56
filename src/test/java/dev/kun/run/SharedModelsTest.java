package dev.kun.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.kun.generate.BackendSpec;
import dev.kun.generate.TextScorer;
import dev.kun.pipeline.Stage;
import dev.kun.testing.FakeGenerator;
import dev.kun.testing.ForwardingGenerator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SharedModelsTest {
    final List<String> events = new ArrayList<>();

    /** The in-process engine's shape: one object that generates and scores. */
    final class Both extends ForwardingGenerator implements TextScorer {
        final String name;

        Both(String name) {
            super(new FakeGenerator());
            this.name = name;
        }

        @Override
        public List<float[]> tokenLogprobs(List<int[]> sequences) {
            return List.of();
        }

        @Override
        public void close() {
            events.add("close " + name);
        }
    }

    private static Step step(String name, String model, int batch) {
        BackendSpec spec = new BackendSpec(Path.of(model), "cpu", null, "auto", batch, 0, "auto");
        return Step.model(name, spec, "x", m -> (Stage) null);
    }

    @Test
    void oneModelServesGeneratorsAndScorersOfEveryStageThatNamesIt() {
        List<Step> steps = List.of(step("label", "a", 8), step("judge", "a", 32), step("polish", "./a", 16));
        SharedModels models = new SharedModels(steps, spec -> {
            events.add("open " + spec.model() + " batch " + spec.batchSize());
            return new Both(spec.model().toString());
        }, spec -> {
            throw new AssertionError("the generator scores too");
        });
        Model label = models.acquire(steps.get(0));
        assertEquals(List.of(), events, "nothing is loaded before a stage asks");
        var generator = label.generator();
        models.release(steps.get(0));
        Model judge = models.acquire(steps.get(1));
        assertSame(generator, judge.scorer(), "judge's scorer is label's generator");
        models.release(steps.get(1));
        assertSame(generator, models.acquire(steps.get(2)).generator(), "./a is a");
        assertEquals(List.of("open a batch 32"), events, "opened once, with the largest batch");
        models.release(steps.get(2));
        assertEquals(List.of("open a batch 32", "close a"), events);
        models.close();
        assertEquals(2, events.size(), "closed once");
    }

    @Test
    void aGeneratorThatCannotScoreGetsAScorerOfItsOwnAndBothClose() {
        List<Step> steps = List.of(step("judge", "b", 8));
        SharedModels models = new SharedModels(steps, spec -> new ForwardingGenerator(new FakeGenerator()) {
            @Override
            public void close() {
                events.add("close generator");
            }
        }, spec -> new Both("scorer"));
        Model judge = models.acquire(steps.get(0));
        judge.generator();
        judge.scorer();
        models.close();
        assertEquals(List.of("close generator", "close scorer"), events);
    }
}
