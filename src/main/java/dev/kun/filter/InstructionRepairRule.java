package dev.kun.filter;

import dev.kun.record.KunRecord;
import dev.kun.record.Utf8Text;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * METHOD.md step 6, last: repairs an instruction the label model ran on past its end. A run of
 * {@code minWhitespaceRun} or more whitespace characters (Python's {@code \s}) cuts the instruction
 * there (then stripped). Otherwise, when lines repeat, the longest repeated line becomes the
 * instruction if the stripped instruction starts with it, and the record is dropped if it does not.
 */
public record InstructionRepairRule(int minWhitespaceRun) implements Rule {
    public static final String DUPLICATE_LINES = "instruction_duplicate_lines";
    /** The cut left nothing; the original would keep an empty instruction, which trains nothing. */
    public static final String EMPTY = "instruction_empty";

    public InstructionRepairRule {
        if (minWhitespaceRun < 1) {
            throw new IllegalArgumentException("min_whitespace_run must be at least 1, got " + minWhitespaceRun);
        }
    }

    /**
     * The record's own form, spelled out: the rule set's description, part of the resume fingerprint,
     * prints it, and the generated one builds its method handles at run time (~20 classes per start).
     */
    @Override
    public String toString() {
        return "InstructionRepairRule[minWhitespaceRun=" + minWhitespaceRun + "]";
    }

    @Override
    public String name() {
        return "instruction_repair";
    }

    @Override
    public Verdict apply(KunRecord record) {
        Utf8Text bytes = record.utf8(KunRecord.INSTRUCTION);
        if (bytes != null) {
            int run = whitespaceRunStart(bytes, minWhitespaceRun);
            if (run >= 0) {
                return cut(record, bytes.decode(0, run));
            }
            if (bytes.indexOf('\n', 0) < 0) {
                return Verdict.keep(record); // a single line repeats nothing
            }
        }
        String instruction = MissingFieldException.require(record, KunRecord.INSTRUCTION);
        int run = whitespaceRunStart(instruction, minWhitespaceRun);
        if (run >= 0) {
            return cut(record, instruction.substring(0, run));
        }
        String stripped = Whitespace.strip(instruction);
        String line = longestDuplicatedLine(stripped);
        if (line == null) {
            return Verdict.keep(record);
        }
        return stripped.startsWith(line) ? Verdict.keep(record.with(KunRecord.INSTRUCTION, line)) : Verdict.drop(DUPLICATE_LINES);
    }

    private static Verdict cut(KunRecord record, String beforeRun) {
        String cut = Whitespace.strip(beforeRun);
        return cut.isEmpty() ? Verdict.drop(EMPTY) : Verdict.keep(record.with(KunRecord.INSTRUCTION, cut));
    }

    /**
     * {@link #whitespaceRunStart(String, int)} over UTF-8: the byte index where the run starts, or -1.
     * Every whitespace character is in the BMP, one UTF-16 unit, so runs count the same either way.
     */
    static int whitespaceRunStart(Utf8Text s, int minRun) {
        int runLength = 0;
        int runStart = 0;
        for (int i = 0, n = s.length(); i < n; ) {
            int b = s.byteAt(i);
            int length = 1;
            boolean space;
            if (b < 0x80) {
                space = Whitespace.isSpace(b);
            } else {
                length = s.charLength(i);
                // Whitespace beyond ASCII is U+0085, U+00A0 (lead C2), U+1680 (E1), U+2000..U+205F (E2)
                // and U+3000 (E3): other characters, most CJK text, need no decoding.
                space = (b == 0xc2 || b == 0xe1 || b == 0xe2 || b == 0xe3) && Whitespace.isSpace(s.codePointAt(i));
            }
            if (!space) {
                runLength = 0;
            } else if (runLength++ == 0) {
                runStart = i;
            }
            if (runLength == minRun) {
                return runStart;
            }
            i += length;
        }
        return -1;
    }

    /** Index where the first run of at least {@code minRun} whitespace characters starts, or -1. */
    static int whitespaceRunStart(String s, int minRun) {
        int runLength = 0;
        for (int i = 0; i < s.length(); i++) {
            runLength = Whitespace.isSpace(s.charAt(i)) ? runLength + 1 : 0;
            if (runLength == minRun) {
                return i - minRun + 1;
            }
        }
        return -1;
    }

    /**
     * The longest stripped, non-blank line (split on '\n') that occurs more than once, or null. Length is
     * counted in code points and ties go to the line seen first, as Python's {@code max(key=len)} does.
     */
    static String longestDuplicatedLine(String text) {
        if (text.indexOf('\n') < 0) {
            return null;
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String raw : text.split("\n", -1)) {
            String line = Whitespace.strip(raw);
            if (!line.isEmpty()) {
                counts.merge(line, 1, Integer::sum);
            }
        }
        String best = null;
        int bestLength = -1;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            int length = e.getKey().codePointCount(0, e.getKey().length());
            if (e.getValue() > 1 && length > bestLength) {
                best = e.getKey();
                bestLength = length;
            }
        }
        return best;
    }
}
