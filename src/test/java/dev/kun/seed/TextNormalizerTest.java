package dev.kun.seed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TextNormalizerTest {
    private final TextNormalizer plain = new TextNormalizer(false);
    private final TextNormalizer nfkc = new TextNormalizer(true);

    @Test
    void unifiesLineBreaks() {
        assertEquals("a\nb\nc\nd\ne\nf\ng", plain.normalize("a\r\nb\rc\u000Bd\u000Ce\u0085f\u2028g"));
        assertEquals("a\n\nb", plain.normalize("a\u2029\u2029b"));
    }

    @Test
    void collapsesHorizontalWhitespaceAndTrimsLines() {
        assertEquals("a b c d", plain.normalize("  a \t b\u00A0\u00A0c\u3000d\t "));
        assertEquals("第一行\n第二行", plain.normalize("第一行   \n\t  第二行"));
        assertEquals("x y", plain.normalize("x\u2003\u2009\u202F\u205F y"));
    }

    @Test
    void collapsesBlankLinesToOneEmptyLine() {
        assertEquals("a\n\nb", plain.normalize("a\n\n\n\n\nb"));
        assertEquals("a\n\nb", plain.normalize("a\n   \n\t\n \nb"));
        assertEquals("a\nb", plain.normalize("\n\n a \n b \n\n"));
    }

    @Test
    void removesControlAndInvisibleCharactersButKeepsJoiners() {
        assertEquals("abcdef", plain.normalize("a\u0000b\u0007c\u001Bd\u0080e\u009Ff"));
        assertEquals("零宽空格", plain.normalize("\uFEFF零\u200B宽\u2060空\u00AD格"));
        String family = "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67"; // man ZWJ woman ZWJ girl
        assertEquals(family, plain.normalize(family));
        assertEquals("\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645", plain.normalize("\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645"));
        // A control between two spaces must not glue the words together nor leave two spaces.
        assertEquals("a b", plain.normalize("a \u0001 b"));
    }

    @Test
    void keepsSurrogatePairsWholeAndReplacesLoneSurrogates() {
        assertEquals("\uD83D\uDE00 \uD83D\uDE00", plain.normalize("\uD83D\uDE00 \t \uD83D\uDE00"));
        assertEquals("\uD840\uDC0B𠀋", plain.normalize("\uD840\uDC0B𠀋")); // CJK extension B
        assertEquals("a\uFFFDb", plain.normalize("a\uD800b"));
        assertEquals("a\uFFFDb", plain.normalize("a\uDC00b"));
        assertEquals("a\uFFFD", plain.normalize("a\uD83D"));
        assertEquals("\uFFFD\uD83D\uDE00", plain.normalize("\uDE00\uD83D\uDE00"));
    }

    @Test
    void nfkcOnlyOnRequest() {
        assertEquals("ＡＢＣ１２３，ﬁ", plain.normalize("ＡＢＣ１２３，ﬁ"));
        assertEquals("ABC123,fi", nfkc.normalize("ＡＢＣ１２３，ﬁ"));
        assertEquals("㎏", plain.normalize("㎏"));
        assertEquals("kg", nfkc.normalize("㎏"));
    }

    @Test
    void nfkcComposesAcrossRemovedInvisibles() {
        // Removing the zero-width space brings e and the combining acute together: NFKC must see that.
        assertEquals("\u00E9", nfkc.normalize("e\u200B\u0301"));
        assertEquals("e\u0301", plain.normalize("e\u200B\u0301"));
    }

    @Test
    void leavesCleanChineseUntouched() {
        String text = "《战国无双3》（）是由光荣和ω-force开发的战国无双系列的正统第三续作。\n本作以三大故事为主轴。";
        assertEquals(text, plain.normalize(text));
        assertEquals("", plain.normalize(" \t\n\u200B\r\n "));
    }

    @Test
    void isIdempotentAndAlwaysValidOnRandomUnicode() {
        Random random = new Random(20261125);
        int[] pool = {' ', '\t', '\n', '\r', 0, 7, 0x0B, 0x85, 0xA0, 0xAD, 0x200B, 0x200D, 0x2028, 0x3000, 0xFEFF,
            'a', 'Z', 0x4E2D, 0x6587, 0xFF21, 0xFB01, 0x0301, 0xD800, 0xDC00, 0x1F600, 0x20000, 0x1F468};
        for (int i = 0; i < 3000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = random.nextInt(30);
            for (int j = 0; j < len; j++) {
                sb.appendCodePoint(pool[random.nextInt(pool.length)]);
            }
            String raw = sb.toString();
            for (TextNormalizer n : new TextNormalizer[] {plain, nfkc}) {
                String once = n.normalize(raw);
                assertEquals(once, n.normalize(once), () -> "not idempotent on " + escape(raw));
                assertFalse(hasLoneSurrogate(once), () -> "lone surrogate left from " + escape(raw));
                assertFalse(once.startsWith(" ") || once.endsWith(" ") || once.startsWith("\n") || once.endsWith("\n"));
                assertFalse(once.contains("  ") || once.contains("\n\n\n") || once.contains(" \n") || once.contains("\n "));
                assertTrue(once.chars().noneMatch(ch -> ch == '\t' || ch == '\r' || ch == 0 || ch == 7 || ch == 0x0B
                        || ch == 0x85 || ch == 0xA0 || ch == 0xAD || ch == 0x200B || ch == 0x2028 || ch == 0x3000
                        || ch == 0xFEFF), () -> "unclean output from " + escape(raw));
            }
        }
    }

    private static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return true;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        s.chars().forEach(c -> sb.append(String.format("\\u%04X", c)));
        return sb.toString();
    }
}
