package dev.kun.generate;

import java.util.ArrayList;
import java.util.List;

/**
 * The sampling settings a user changed, over a stage's own defaults: each stage starts from the method's
 * settings ({@link SamplingParams#kun()}) with its chat format's stop strings, and a command line (or one
 * stage of {@code kun run}) overrides only what it names. A null field keeps the default; {@code stop} adds
 * to the default stop strings.
 */
public record SamplingOverrides(Double temperature, Double topP, Integer topK, Double repetitionPenalty,
        Integer maxTokens, List<String> stop) {
    /** No override: the stage's defaults as they are. */
    public static final SamplingOverrides NONE = new SamplingOverrides(null, null, null, null, null, List.of());

    public SamplingOverrides {
        stop = stop == null ? List.of() : List.copyOf(stop);
    }

    /**
     * {@code defaults} with these overrides; a value out of range is an {@link IllegalArgumentException}
     * naming the setting (as {@link SamplingParams} does).
     */
    public SamplingParams applyTo(SamplingParams defaults) {
        List<String> stops = new ArrayList<>(defaults.stopStrings());
        for (String s : stop) {
            if (!stops.contains(s)) stops.add(s);
        }
        return new SamplingParams(
                temperature != null ? temperature : defaults.temperature(),
                topP != null ? topP : defaults.topP(),
                topK != null ? topK : defaults.topK(),
                repetitionPenalty != null ? repetitionPenalty : defaults.repetitionPenalty(),
                maxTokens != null ? maxTokens : defaults.maxTokens(),
                stops,
                defaults.stopTokenIds());
    }

    /** True when nothing is overridden. */
    public boolean isEmpty() {
        return equals(NONE);
    }
}
