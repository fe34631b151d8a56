package dev.kun.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.error.KunException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RuleSetTest {

    /** Each rule as its printed form (the resume fingerprint's) names it, as InstructionKeywordRule. */
    private static List<String> names(RuleSet set) {
        return set.rules().stream().map(r -> r.toString().substring(0, r.toString().indexOf('['))).toList();
    }

    @Test
    void namedSetsApplyTheMethodsRulesInTheMethodsOrder() {
        assertEquals(List.of("InstructionKeywordRule", "InstructionTrimRule"), names(RuleSet.load("instruction")));
        assertEquals(List.of("VerdictRule"), names(RuleSet.load("verdict")));
        List<String> output = List.of("OutputKeywordRule", "OutputTrimRule", "DropInputFieldRule", "MinOutputLengthRule",
                "RepetitionRule", "InstructionRepairRule");
        assertEquals(output, names(RuleSet.load("output")));
        List<String> all = new java.util.ArrayList<>(names(RuleSet.load("instruction")));
        all.addAll(output);
        assertEquals(all, names(RuleSet.load("all")));
    }

    @Test
    void namedSetsCarryTheMethodsParametersAndKeywords() {
        RuleSet output = RuleSet.load("output");
        assertEquals(KeywordRule.output(new Keywords(List.of("作为", "根据", "知识库", "2023", "抱歉"))), output.rules().get(0));
        assertEquals(new MinOutputLengthRule(20), output.rules().get(3));
        assertEquals(new RepetitionRule(6), output.rules().get(4));
        assertEquals(new InstructionRepairRule(5), output.rules().get(5));
        KeywordRule step3 = (KeywordRule) RuleSet.load("instruction").rules().get(0);
        assertEquals(List.of("新闻", "材料", "图片", "链接", "网址", "根据", "简历", "简介", "文章", "摘要", "文本", "提取", "关键词", "网站"),
                step3.keywords().words());
        assertEquals(new VerdictRule(VerdictMode.KUN, 5), RuleSet.load("verdict").rules().get(0));
    }

    @Test
    void aFileSetIncludesNamedSetsAndReadsKeywordFilesBesideIt(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("words.txt"), "# mine\n\n禁词\r\n 另一个 \n");
        Path file = dir.resolve("mine.json");
        Files.writeString(file, """
                {"rules": [
                  {"include": "instruction"},
                  {"rule": "output_keyword", "keywords_file": "words.txt", "keywords": ["内联"]},
                  {"rule": "min_output_length", "min_chars": 3},
                  {"include": "extra.json"}
                ]}""");
        Files.writeString(dir.resolve("extra.json"), "{\"rules\": [{\"rule\": \"verdict\", \"mode\": \"humpback\", \"min_score\": 4}]}");
        RuleSet set = RuleSet.load(file.toString());
        assertEquals(5, set.rules().size());
        assertEquals(KeywordRule.output(new Keywords(List.of("内联", "禁词", "另一个"))), set.rules().get(2));
        assertEquals(new MinOutputLengthRule(3), set.rules().get(3));
        assertEquals(new VerdictRule(VerdictMode.HUMPBACK, 4), set.rules().get(4));
    }

    @Test
    void mistakesAreUsageErrorsNamingTheFile(@TempDir Path dir) throws IOException {
        assertUsage("neither a named rule set", () -> RuleSet.load("nonesuch"));
        assertUsage("rule 'fancy': unknown rule", () -> RuleSet.load(write(dir, "{\"rules\": [{\"rule\": \"fancy\"}]}")));
        assertUsage("unknown parameter 'min_char'",
                () -> RuleSet.load(write(dir, "{\"rules\": [{\"rule\": \"min_output_length\", \"min_char\": 3}]}")));
        assertUsage("not valid JSON", () -> RuleSet.load(write(dir, "{\"rules\": [")));
        assertUsage("\"rules\" array", () -> RuleSet.load(write(dir, "[]")));
        assertUsage("at least 2", () -> RuleSet.load(write(dir, "{\"rules\": [{\"rule\": \"repetition\", \"min_repeats\": 1}]}")));
        assertUsage("'mode' must be", () -> RuleSet.load(write(dir, "{\"rules\": [{\"rule\": \"verdict\", \"mode\": \"x\"}]}")));
        assertUsage("cannot read", () -> RuleSet.load(write(dir,
                "{\"rules\": [{\"rule\": \"output_keyword\", \"keywords_file\": \"absent.txt\"}]}")));
        Path loop = dir.resolve("loop.json");
        Files.writeString(loop, "{\"rules\": [{\"include\": \"loop.json\"}]}");
        assertUsage("a cycle?", () -> RuleSet.load(loop.toString()));
    }

    @Test
    void verdictOverridesNeedAVerdictRule() {
        RuleSet humpback = RuleSet.load("verdict").withVerdict(VerdictMode.HUMPBACK, 3.0);
        assertEquals(List.of(new VerdictRule(VerdictMode.HUMPBACK, 3)), humpback.rules());
        assertEquals(List.of(new VerdictRule(VerdictMode.KUN, 4)), RuleSet.load("verdict").withVerdict(null, 4.0).rules());
        assertUsage("has none", () -> RuleSet.load("all").withVerdict(VerdictMode.HUMPBACK, null));
        assertEquals(RuleSet.load("all"), RuleSet.load("all").withVerdict(null, null));
        assertNotEquals(RuleSet.load("verdict").describe(), humpback.describe());
    }

    private static String write(Path dir, String text) throws IOException {
        Path file = Files.createTempFile(dir, "set", ".json");
        Files.writeString(file, text);
        return file.toString();
    }

    private static void assertUsage(String fragment, org.junit.jupiter.api.function.Executable load) {
        KunException e = assertThrows(KunException.class, load);
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    /** Checkpoints written by earlier versions hold this text; a different one would refuse their resume. */
    @Test
    void descriptionIsTheFingerprintEarlierCheckpointsHold() {
        assertEquals("[InstructionKeywordRule[keywords=Keywords[words=[新闻, 材料, 图片, 链接, 网址, 根据, 简历, 简介, 文章, 摘要, 文本, 提取,"
                + " 关键词, 网站]]], InstructionTrimRule[], OutputKeywordRule[keywords=Keywords[words=[作为, 根据, 知识库, 2023, 抱歉]]],"
                + " OutputTrimRule[], DropInputFieldRule[], MinOutputLengthRule[minChars=20], RepetitionRule[minRepeats=6],"
                + " InstructionRepairRule[minWhitespaceRun=5]]", RuleSet.load("all").describe());
        assertEquals("[VerdictRule[mode=humpback, minScore=4.5]]",
                RuleSet.load("verdict").withVerdict(VerdictMode.HUMPBACK, 4.5).describe());
    }
}
