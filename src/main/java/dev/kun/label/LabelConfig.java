package dev.kun.label;

import dev.kun.generate.Provenance;
import dev.kun.generate.SamplingParams;
import dev.kun.prompt.ChatFormat;
import dev.kun.prompt.LabelPrompt;
import dev.kun.prompt.PromptTemplate;

/**
 * Settings of the label stage ({@code kun label}).
 *
 * @param textField     the field holding the document (seed writes {@code text})
 * @param template      the user message; the method's is {@link LabelPrompt#TEMPLATE}
 * @param chat          how the message is framed; the method's is {@link ChatFormat#kun()}
 * @param keepPrompt    write the rendered prompt as {@code use_prompt}, as the original does
 * @param keepTruncated keep an instruction that ran out of tokens instead of rejecting it
 * @param keepEmpty     keep an instruction that is empty once trimmed instead of rejecting it
 * @param provenance    the model, written under {@code kun.label}
 */
public record LabelConfig(String textField, PromptTemplate template, ChatFormat chat, boolean keepPrompt,
        boolean keepTruncated, boolean keepEmpty, Provenance provenance) {

    public LabelConfig {
        template.check("label", LabelPrompt.FILLS, LabelPrompt.NEEDS);
    }

    /** The method's label stage: documents in {@code text}, its template and ChatML, rejects on. */
    public static LabelConfig method(Provenance provenance) {
        return new LabelConfig("text", LabelPrompt.TEMPLATE, ChatFormat.kun(), false, false, false, provenance);
    }

    /** The method's sampling, stopping where the chat format ends a turn. */
    public SamplingParams defaultSampling() {
        return SamplingParams.kun().withStopStrings(chat.stops());
    }
}
