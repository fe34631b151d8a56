package dev.kun.cli;

import dev.kun.error.KunException;
import dev.kun.generate.SamplingOverrides;
import dev.kun.generate.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Sampling options shared by every command that generates ({@code generate}, {@code label},
 * {@code judge}, {@code polish}). Each overrides the stage's default, which is the original method's vLLM
 * setting (METHOD.md: temperature 0.5, top_p 0.95, repetition_penalty 1.2, max_tokens 1024), so a stage
 * run without options samples as the method does; {@code --temperature 0} is greedy. An option not given
 * keeps the stage's default ({@link #overrides()}).
 */
public final class SamplingOptions {

    @Option(names = "--temperature", paramLabel = "T",
            description = "Sampling temperature; 0 is greedy (default: 0.5).")
    Double temperature;

    @Option(names = "--top-p", paramLabel = "P",
            description = "Nucleus sampling: keep the smallest set of tokens whose probability reaches P, in (0, 1]; 1 is off (default: 0.95).")
    Double topP;

    @Option(names = "--top-k", paramLabel = "K",
            description = "Keep only the K most likely tokens; 0 is off (default: 0).")
    Integer topK;

    @Option(names = "--repetition-penalty", paramLabel = "R",
            description = "Hugging Face repetition penalty over the prompt and the generated tokens; 1 is off (default: 1.2).")
    Double repetitionPenalty;

    @Option(names = "--max-tokens", paramLabel = "N",
            description = "Most tokens to generate per record (default: 1024).")
    Integer maxTokens;

    @Option(names = "--seed", paramLabel = "S",
            description = "Run seed; each record samples with a seed derived from it and the record id, so a record draws the same random numbers whatever its batch or a resume (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--stop", paramLabel = "TEXT",
            description = "Stop string, repeatable, added to the stage's own; the generation ends before it (the model's end-of-sequence tokens always stop).")
    List<String> stop = new ArrayList<>();

    /** The options given, as overrides of a stage's defaults. */
    public SamplingOverrides overrides() {
        for (String s : stop) {
            if (s.isEmpty()) throw KunException.usage("--stop must not be empty");
        }
        return new SamplingOverrides(temperature, topP, topK, repetitionPenalty, maxTokens, stop);
    }

    /** {@code defaults} with the options given; a value out of range is a usage error naming its option. */
    public SamplingParams toParams(SamplingParams defaults) {
        try {
            return overrides().applyTo(defaults);
        } catch (IllegalArgumentException e) {
            throw KunException.usage(e.getMessage().replace("top_p", "--top-p").replace("top_k", "--top-k")
                    .replace("repetition_penalty", "--repetition-penalty").replace("max_tokens", "--max-tokens")
                    .replace("temperature", "--temperature"));
        }
    }

    /** The method's settings with the options given and no stop strings of a stage's own. */
    public SamplingParams toParams() {
        return toParams(SamplingParams.kun());
    }

    public long seed() {
        return seed;
    }
}
