package dev.kun.filter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WhitespaceTest {

    @Test
    void isSpaceMatchesPythonIsspaceNotJava() {
        // Python's str.isspace() set, printed by Python 3.11 over all code points.
        int[] python = {0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
            0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f,
            0x3000};
        java.util.Set<Integer> expected = new java.util.HashSet<>();
        for (int c : python) {
            expected.add(c);
        }
        for (int c = 0; c <= 0x10FFFF; c++) {
            assertEquals(expected.contains(c), Whitespace.isSpace(c), "U+" + Integer.toHexString(c));
        }
        assertFalse(Whitespace.isSpace(0x200B), "zero-width space is not whitespace in Python");
        assertTrue(Whitespace.isSpace(0xA0) && !Character.isWhitespace(0xA0));
    }

    @Test
    void stripIsPythonStrip() {
        assertEquals("什么 是", Whitespace.strip("\u3000\t 什么 是\u00a0\r\n"));
        assertEquals("", Whitespace.strip(" \n\u2003"));
        assertEquals("\u200b好\u200b", Whitespace.strip(" \u200b好\u200b "));
    }

    @Test
    void trailingTrimRemovesOnlySpaceAndNewline() {
        assertEquals("好", Whitespace.stripTrailingSpacesAndNewlines("好 \n \n\n"));
        assertEquals("  好", Whitespace.stripTrailingSpacesAndNewlines("  好"));
        assertEquals("好\t", Whitespace.stripTrailingSpacesAndNewlines("好\t \n"));
        assertEquals("好\r", Whitespace.stripTrailingSpacesAndNewlines("好\r\n"));
        assertEquals("好\u3000", Whitespace.stripTrailingSpacesAndNewlines("好\u3000"));
        assertEquals("", Whitespace.stripTrailingSpacesAndNewlines(" \n "));
    }
}
