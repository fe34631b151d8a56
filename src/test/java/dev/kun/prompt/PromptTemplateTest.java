package dev.kun.prompt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTemplateTest {
    @TempDir Path dir;

    @Test
    void fillsEachPlaceholderOnceLeavingOtherBracesAlone() {
        PromptTemplate t = PromptTemplate.parse("{\"doc\": {document}} Q:{instruction} {document}", "t");
        assertEquals(Set.of("document", "instruction"), t.placeholders());
        assertEquals("{\"doc\": 甲{instruction}} Q:乙 甲{instruction}",
                t.render(Map.of("document", "甲{instruction}", "instruction", "乙")));
    }

    @Test
    void unknownOrUnfilledPlaceholdersAreUsageErrors() {
        KunException e = assertThrows(KunException.class, () -> PromptTemplate.parse("{documnet}", "my.txt"));
        assertEquals(ExitCodes.USAGE, e.exitCode());
        assertTrue(e.getMessage().contains("{documnet}") && e.getMessage().contains("my.txt"), e.getMessage());
        PromptTemplate polish = PromptTemplate.parse("{document} {output}", "p.txt");
        e = assertThrows(KunException.class, () -> polish.check("polish", AnswerPrompt.FILLS, AnswerPrompt.NEEDS));
        assertTrue(e.getMessage().contains("{output}"), e.getMessage());
        PromptTemplate noDocument = PromptTemplate.parse("just {instruction}", "l.txt");
        e = assertThrows(KunException.class, () -> noDocument.check("polish", AnswerPrompt.FILLS, AnswerPrompt.NEEDS));
        assertTrue(e.getMessage().contains("needs {document} or {response}"), e.getMessage());
    }

    @Test
    void aFileLosesOneFinalLineEndAndNothingElse() throws Exception {
        Path file = dir.resolve("t.txt");
        Files.writeString(file, "  RESPONSE: {document} INSTRUCTION:\n\n", StandardCharsets.UTF_8);
        assertEquals("  RESPONSE: {document} INSTRUCTION:\n", PromptTemplate.load(file).text());
        Files.writeString(file, "{response}\r\n", StandardCharsets.UTF_8);
        assertEquals("{response}", PromptTemplate.load(file).text());
        Files.write(file, new byte[] {'{', (byte) 0xff, '}'});
        assertTrue(assertThrows(KunException.class, () -> PromptTemplate.load(file)).getMessage().contains("UTF-8"));
        assertEquals(ExitCodes.USAGE, assertThrows(KunException.class, () -> PromptTemplate.load(dir.resolve("none"))).exitCode());
    }

    @Test
    void fingerprintFollowsTheTextNotTheSource() {
        assertEquals(PromptTemplate.parse("{document}", "a").fingerprint(), PromptTemplate.parse("{document}", "b").fingerprint());
        assertNotEquals(PromptTemplate.parse("{document}", "a").fingerprint(), PromptTemplate.parse("{document} ", "a").fingerprint());
        assertEquals(List.of("document"), List.copyOf(LabelPrompt.TEMPLATE.check("label", LabelPrompt.FILLS, LabelPrompt.NEEDS).placeholders()));
    }
}
