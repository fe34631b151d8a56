package dev.kun.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.record.KunRecord;
import dev.kun.testing.Records;
import java.util.List;
import org.junit.jupiter.api.Test;

class KeywordRulesTest {
    private static final Keywords STEP3 = new Keywords(List.of("新闻", "材料", "图片", "链接", "网址", "根据", "简历", "简介",
            "文章", "摘要", "文本", "提取", "关键词", "网站"));
    private static final Keywords STEP6 = new Keywords(List.of("作为", "根据", "知识库", "2023", "抱歉"));

    @Test
    void instructionWithAMissingContextIsDropped() {
        Rule rule = KeywordRule.instruction(STEP3);
        assertEquals("instruction_keyword", rule.apply(Records.of("instruction", "请根据以下新闻写一段摘要。")).dropReason());
        assertEquals("instruction_keyword", rule.apply(Records.of("instruction", "帮我提取这段话的关键词")).dropReason());
        KunRecord fine = Records.of("instruction", "请解释什么是“联合开发”，及其风险与收益。", "output", "根据合同……");
        assertSame(fine, rule.apply(fine).record(), "only the instruction is searched");
    }

    @Test
    void outputWithSelfReferenceDatedKnowledgeOrRefusalIsDropped() {
        Rule rule = KeywordRule.output(STEP6);
        for (String output : List.of("作为一个AI语言模型，我不能……", "截至2023年，……", "很抱歉，我无法回答。", "根据我的知识库，……")) {
            assertEquals("output_keyword", rule.apply(Records.of("output", output)).dropReason(), output);
        }
        KunRecord fine = Records.of("instruction", "作为老师，如何……", "output", "首先要耐心聆听学生的想法，然后给予具体的建议。");
        assertTrue(rule.apply(fine).isKept(), "only the output is searched");
    }

    @Test
    void missingOrNonStringFieldIsBadInputNotADrop() {
        MissingFieldException missing = assertThrows(MissingFieldException.class,
                () -> KeywordRule.output(STEP6).apply(Records.of("instruction", "x")));
        assertEquals("missing_field", missing.reason());
        assertTrue(missing.getMessage().contains("'output'"), missing.getMessage());
        MissingFieldException notString = assertThrows(MissingFieldException.class,
                () -> KeywordRule.instruction(STEP3).apply(Records.parse("{\"instruction\": 12}")));
        assertEquals("field_not_string", notString.reason());
        assertEquals("missing_field", assertThrows(MissingFieldException.class,
                () -> KeywordRule.instruction(STEP3).apply(Records.parse("{\"instruction\": null}"))).reason());
    }

    @Test
    void anEmptyKeywordIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Keywords(List.of("新闻", "")));
    }
}
