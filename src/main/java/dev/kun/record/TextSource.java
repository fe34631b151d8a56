package dev.kun.record;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * Plain text: one record per paragraph (blank-line separated), line or file ({@link SplitMode}), its text
 * in the configured field.
 */
final class TextSource extends LineSource {
    private final ReadOptions options;

    TextSource(String name, CountingInputStream raw, LineReader lines, ReadOptions options) {
        super(name, raw, lines);
        this.options = options;
    }

    @Override
    InputRecord read() throws IOException {
        SplitMode split = options.split();
        StringBuilder text = new StringBuilder();
        long start = 0;
        long bytes = 0;
        InputRecord bad = null;
        while (lines.next()) {
            if (lines.tooLong()) {
                if (split == SplitMode.LINE) return tooLong();
                if (start == 0) start = lines.lineNumber();
                if (bad == null) bad = tooLong();
                continue;
            }
            String s = decode();
            boolean blank = s != null && s.isBlank();
            if (blank && (start == 0 || split != SplitMode.FILE)) {
                if (start != 0) break; // a blank line ends the paragraph
                continue;
            }
            if (start == 0) start = lines.lineNumber();
            if (s == null) {
                if (split == SplitMode.LINE) return invalidUtf8(start);
                if (bad == null) bad = invalidUtf8(lines.lineNumber());
                continue;
            }
            if (split == SplitMode.LINE) return record(start, s);
            bytes += lines.length() + 1;
            if (bytes > options.maxLineBytes() && bad == null) {
                bad = InputRecord.bad(name, start, "line_too_long",
                        "text longer than --max-line-bytes (" + options.maxLineBytes() + " bytes)", null);
            }
            if (bad == null) {
                if (text.length() > 0) text.append('\n');
                text.append(s);
            } else {
                text.setLength(0);
            }
        }
        if (start == 0) return null;
        if (bad != null) return bad;
        return record(start, text.toString().stripTrailing());
    }

    private InputRecord record(long line, String s) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put(options.textField(), s);
        return InputRecord.of(name, line, new KunRecord(node));
    }
}
