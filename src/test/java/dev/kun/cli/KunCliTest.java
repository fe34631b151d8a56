package dev.kun.cli;

import dev.kun.error.ExitCodes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.testing.Captured;
import org.junit.jupiter.api.Test;

class KunCliTest {

    @Test
    void helpListsEverySubcommandAndExitCode() {
        Captured c = Captured.kun("--help");
        assertEquals(0, c.code());
        String help = c.out();
        for (String sub : new String[] {"seed", "label", "judge", "polish", "filter", "run", "generate"}) {
            assertTrue(help.contains("\n  " + sub + " "), "help lists " + sub + ":\n" + help);
        }
        for (String row : ExitCodes.HELP_LIST) {
            String[] parts = row.split(":", 2);
            assertTrue(help.contains(parts[1]), "help shows exit code row " + row);
        }
    }

    @Test
    void subcommandHelpShowsExitCodesToo() {
        Captured c = Captured.kun("label", "--help");
        assertEquals(0, c.code());
        assertTrue(c.out().contains("bad input (the message names file and line)"), c.out());
    }

    @Test
    void defaultsInHelpAreSpelledAsTheOptionTakesThem() {
        // An enum default rendered by name (PARAGRAPH) reads as a different value than the listed choices.
        for (String sub : new String[] {"seed", "filter", "generate", "label", "judge", "polish"}) {
            String help = Captured.kun(sub, "--help").out();
            assertFalse(java.util.regex.Pattern.compile("\\(default: [A-Z][A-Z_]+\\)").matcher(help).find(), help);
            assertTrue(help.contains("*.json.gz"), sub + " help lists every file kind a directory input reads");
        }
        assertTrue(Captured.kun("filter", "--help").out().replaceAll("\\s+", " ").contains("whole files. (default: paragraph)"));
    }

    @Test
    void bareKunShowsUsageOnStderrAndIsAUsageError() {
        Captured c = Captured.kun();
        assertEquals(ExitCodes.USAGE, c.code());
        assertEquals("", c.out());
        assertTrue(c.stderr().startsWith("Usage: kun "), c.stderr());
    }

    @Test
    void versionPrintsAVersion() {
        Captured c = Captured.kun("--version");
        assertEquals(0, c.code());
        assertTrue(c.out().startsWith("kun "), c.out());
    }

    @Test
    void unknownOptionIsAUsageErrorOnOneLine() {
        Captured c = Captured.kun("--no-such-option");
        assertEquals(ExitCodes.USAGE, c.code());
        assertTrue(c.stderr().startsWith("kun: Unknown option: '--no-such-option'"), c.stderr());
        assertEquals("", c.out());
    }

    @Test
    void stackTraceOnlyWithVerbose() {
        String[] bad = {"label", "--model", "m", "--chat-template", "bogus"};
        Captured quiet = Captured.kun(bad);
        assertEquals(ExitCodes.USAGE, quiet.code(), quiet.stderr());
        assertFalse(quiet.stderr().contains("\tat "), quiet.stderr());
        Captured verbose = Captured.kun("-v", "label", "--model", "m", "--chat-template", "bogus");
        assertTrue(verbose.stderr().contains("\tat dev.kun."), verbose.stderr());
        Captured inherited = Captured.kun("label", "--model", "m", "--chat-template", "bogus", "--verbose");
        assertTrue(inherited.stderr().contains("\tat dev.kun."), inherited.stderr());
    }
}
