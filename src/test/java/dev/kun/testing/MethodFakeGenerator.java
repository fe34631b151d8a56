package dev.kun.testing;

import dev.kun.generate.FinishReason;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link FakeGenerator} that plays the method's three models by their prompts, so the real label, judge
 * and polish stages make a dataset with a real funnel: the label model writes a short instruction (one in
 * five names an article, which the instruction rules drop), the point model answers 【好】 or, for one in
 * three, 【差】, the answer model writes an answer (one in seven an apology, which the output rules drop).
 * Each answer depends on the prompt and the record's seed, so other sampling shows in the output; any
 * other prompt is echoed as FakeGenerator does.
 */
public final class MethodFakeGenerator extends ForwardingGenerator {
    public final List<String> prompts = new ArrayList<>();

    public MethodFakeGenerator() {
        super(new FakeGenerator());
    }

    @Override
    public List<Generation> generate(List<GenerationRequest> requests) {
        List<Generation> out = new ArrayList<>();
        List<Generation> echoed = inner.generate(requests);
        for (int i = 0; i < requests.size(); i++) {
            GenerationRequest r = requests.get(i);
            prompts.add(r.prompt());
            int h = Math.floorMod((r.prompt() + "|" + r.seed() + "|" + r.sampling().temperature()).hashCode(), 1_000_003);
            String text;
            if (r.prompt().contains("最有可能对应的指令")) {
                text = h % 5 == 0 ? "请总结这篇文章" : "请介绍第" + h + "号话题的来龙去脉";
            } else if (r.prompt().contains("评价指令质量")) {
                text = h % 3 == 0 ? "【差】" : "【好】";
            } else if (r.prompt().contains("请回答")) {
                text = h % 7 == 0 ? "抱歉，我无法回答。" : "这个话题的要点如下：第" + h + "号话题有三个方面，逐一说明。";
            } else {
                out.add(echoed.get(i));
                continue;
            }
            int tokens = text.codePointCount(0, text.length());
            out.add(new Generation(text, FinishReason.STOP, countTokens(r.prompt()), tokens, null, null));
        }
        return out;
    }
}
