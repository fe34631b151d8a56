package dev.kun.run;

import dev.kun.filter.FilterStage;
import dev.kun.filter.OutputFormat;
import dev.kun.filter.RuleSet;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.Generation;
import dev.kun.generate.PromptTask;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.Tokenizer;
import dev.kun.pipeline.Outcome;
import dev.kun.record.KunRecord;
import dev.kun.seed.SeedConfig;
import dev.kun.seed.SeedStage;
import java.nio.file.Path;
import java.util.List;

/**
 * The method's chain for tests, with the real seed stage and rule filters and placeholder model tasks
 * in the places of label, judge and polish: label writes the generation as the instruction, judge keeps
 * a record when its generation hashes to a good verdict (the raw text goes to {@code score}, as a real
 * judge keeps it), polish writes the generation as the output. On a FakeGenerator each generation
 * spells out its prompt, seed and temperature, so any change of those shows in the final bytes.
 */
final class FakeMethod {
    private FakeMethod() {}

    static List<Step> steps(Path labelModel, Path judgeModel, SamplingParams sampling, long seed) {
        BackendSpec label = BackendSpec.of(labelModel);
        BackendSpec judge = BackendSpec.of(judgeModel);
        return List.of(
                Step.rules("seed", () -> new SeedStage(SeedConfig.defaults(), null, null)),
                Step.prompt("label", label, sampling, seed, "instruction", new Label()),
                Step.rules("instruction_rules",
                        () -> new FilterStage(RuleSet.load("instruction"), OutputFormat.JSONL, "instruction_rules")),
                Step.prompt("judge", judge, sampling, seed, "score", new Judge()),
                Step.prompt("polish", label, sampling, seed, "output", new Polish()),
                Step.rules("output_rules", () -> new FilterStage(RuleSet.load("output"), OutputFormat.JSONL, "output_rules")));
    }

    private static String cut(String s, int codePoints) {
        return s.codePointCount(0, s.length()) <= codePoints ? s : s.substring(0, s.offsetByCodePoints(0, codePoints));
    }

    record Label() implements PromptTask {
        @Override
        public String name() {
            return "label";
        }

        @Override
        public String fingerprint() {
            return "fake label";
        }

        @Override
        public Prompt prompt(KunRecord record, Tokenizer tokenizer) {
            String text = record.string(KunRecord.TEXT);
            if (text == null) return Prompt.refused(Outcome.badInput(record, "missing_field", "no text"));
            return Prompt.of("指令？" + cut(text, 24));
        }

        @Override
        public Outcome complete(KunRecord record, String prompt, Generation g) {
            return Outcome.kept(record.with(KunRecord.INSTRUCTION, g.text()));
        }
    }

    record Judge() implements PromptTask {
        @Override
        public String name() {
            return "judge";
        }

        @Override
        public String fingerprint() {
            return "fake judge";
        }

        @Override
        public Prompt prompt(KunRecord record, Tokenizer tokenizer) {
            return Prompt.of("评价：" + record.string(KunRecord.INSTRUCTION));
        }

        @Override
        public Outcome complete(KunRecord record, String prompt, Generation g) {
            boolean good = Math.floorMod(g.text().hashCode(), 3) != 0;
            KunRecord judged = record.with(KunRecord.SCORE, (good ? "【好】" : "【差】") + g.text());
            return good ? Outcome.kept(judged) : Outcome.dropped(judged, "verdict_bad");
        }
    }

    record Polish() implements PromptTask {
        @Override
        public String name() {
            return "polish";
        }

        @Override
        public String fingerprint() {
            return "fake polish";
        }

        @Override
        public Prompt prompt(KunRecord record, Tokenizer tokenizer) {
            return Prompt.of("已知：" + record.string(KunRecord.TEXT) + ",请回答:" + record.string(KunRecord.INSTRUCTION));
        }

        @Override
        public Outcome complete(KunRecord record, String prompt, Generation g) {
            return Outcome.kept(record.with(KunRecord.OUTPUT, g.text()));
        }
    }
}
