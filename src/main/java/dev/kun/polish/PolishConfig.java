package dev.kun.polish;

import dev.kun.generate.Provenance;
import dev.kun.generate.SamplingParams;
import dev.kun.prompt.AnswerPrompt;
import dev.kun.prompt.ChatFormat;
import dev.kun.prompt.PromptTemplate;

/**
 * Settings of the polish stage ({@code kun polish}).
 *
 * @param documentField the field holding the document (label writes it to {@code output})
 * @param budget        most tokens of the whole prompt, in the answer model's tokenizer (the method's 512):
 *                      the instruction is truncated to fit
 * @param template      the user message; the method's is {@link AnswerPrompt#TEMPLATE}
 * @param chat          how the message is framed; the method's is {@link ChatFormat#kun()}
 * @param keepTruncated keep an answer that ran out of tokens instead of rejecting it
 * @param provenance    the model, written under {@code kun.polish}
 */
public record PolishConfig(String documentField, int budget, PromptTemplate template, ChatFormat chat,
        boolean keepTruncated, Provenance provenance) {

    public PolishConfig {
        if (budget < 1) throw new IllegalArgumentException("budget must be >= 1: " + budget);
        template.check("polish", AnswerPrompt.FILLS, AnswerPrompt.NEEDS);
    }

    /** The method's polish stage: the document in {@code output}, a 512-token prompt, its template and ChatML. */
    public static PolishConfig method(Provenance provenance) {
        return new PolishConfig("output", 512, AnswerPrompt.TEMPLATE, ChatFormat.kun(), false, provenance);
    }

    /** The method's sampling, stopping where the chat format ends a turn. */
    public SamplingParams defaultSampling() {
        return SamplingParams.kun().withStopStrings(chat.stops());
    }
}
