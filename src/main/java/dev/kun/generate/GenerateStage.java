package dev.kun.generate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.pipeline.Outcome;
import dev.kun.pipeline.Stage;
import dev.kun.record.KunRecord;
import java.util.List;

/**
 * {@code kun generate} as a stage: completes each record's prompt as it is and writes the record back
 * with {@code generation}, {@code prompt_tokens}, {@code generated_tokens} and {@code finish_reason}
 * ("stop" or "length") added. A record without a prompt, with an empty one, or with one that leaves no
 * room in the context is bad input of its own record. Seeds as every {@link PromptStage}.
 */
public final class GenerateStage implements Stage {
    public static final String GENERATION = "generation";
    public static final String PROMPT_TOKENS = "prompt_tokens";
    public static final String GENERATED_TOKENS = "generated_tokens";
    public static final String FINISH_REASON = "finish_reason";

    private final PromptStage stage;
    private final String promptField;

    /**
     * @param batchSize records handed over at once; several times the engine's slots keeps them full
     */
    public GenerateStage(TextGenerator generator, SamplingParams sampling, long runSeed, String promptField,
            int batchSize) {
        this.promptField = promptField;
        this.stage = new PromptStage(generator, new Task(promptField), sampling, runSeed, batchSize);
    }

    /** The prompt is the record's field as it is; the generation is added beside it. */
    private record Task(String promptField) implements PromptTask {
        @Override
        public String name() {
            return "generate";
        }

        @Override
        public String fingerprint() {
            return "prompt_field=" + promptField;
        }

        @Override
        public Prompt prompt(KunRecord record, Tokenizer tokenizer) {
            String prompt = record.string(promptField);
            if (prompt == null) {
                return Prompt.refused(Outcome.badInput(record, "missing_field", "no string field \"" + promptField + "\""));
            }
            if (prompt.isEmpty()) {
                return Prompt.refused(Outcome.badInput(record, "empty_prompt", "field \"" + promptField + "\" is empty"));
            }
            return Prompt.of(prompt);
        }

        @Override
        public Outcome promptTooLong(KunRecord record, String message) {
            return Outcome.badInput(record, "prompt_too_long", message);
        }

        @Override
        public Outcome complete(KunRecord record, String prompt, Generation g) {
            ObjectNode json = record.json().deepCopy();
            json.put(GENERATION, g.text());
            json.put(PROMPT_TOKENS, g.promptTokens());
            json.put(GENERATED_TOKENS, g.generatedTokens());
            json.put(FINISH_REASON, g.finishReason().wireName());
            return Outcome.kept(new KunRecord(json));
        }
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

    public SamplingParams sampling() {
        return stage.sampling();
    }

    public long runSeed() {
        return stage.runSeed();
    }

    public String promptField() {
        return promptField;
    }

    /** The sampling seed of {@code record}, whose prompt is {@code prompt}. */
    public long seedFor(KunRecord record, String prompt) {
        return stage.seedFor(record, prompt);
    }

    @Override
    public boolean readsAhead() {
        return stage.readsAhead();
    }

    @Override
    public void ahead(List<KunRecord> next) {
        stage.ahead(next);
    }

    @Override
    public List<Outcome> process(List<KunRecord> batch) {
        return stage.process(batch);
    }

    @Override
    public void close() {
        stage.close();
    }
}
