package dev.kun.record;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** JSONL: one JSON object per line; blank lines are skipped and not counted. */
final class JsonlSource extends LineSource {
    /** Keep accepted lines as their bytes ({@link CompactObject}) instead of Jackson trees. */
    private final boolean compact;

    JsonlSource(String name, CountingInputStream raw, LineReader lines, boolean compact) {
        super(name, raw, lines);
        this.compact = compact;
    }

    @Override
    InputRecord read() throws IOException {
        while (lines.next()) {
            if (lines.tooLong()) return tooLong();
            if (lines.blank()) continue;
            long line = lines.lineNumber();
            // An accepted compact line is valid UTF-8 (the scan checks it); anything else is checked below,
            // in the same order as before, so errors are reported exactly as without the compact form.
            CompactObject bytes = compact ? CompactObject.scan(lines.bytes(), lines.length()) : null;
            if (bytes != null) return InputRecord.of(name, line, new KunRecord(bytes));
            if (Utf8.firstInvalid(lines.bytes(), lines.length()) >= 0) return invalidUtf8(line);
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(lines.bytes(), 0, lines.length());
            } catch (JacksonException e) {
                return InputRecord.bad(name, line, "malformed_json", "malformed JSON: " + RecordReader.firstLine(e.getOriginalMessage()),
                        new String(lines.bytes(), 0, lines.length(), StandardCharsets.UTF_8));
            }
            if (!(node instanceof ObjectNode object)) {
                return InputRecord.bad(name, line, "not_an_object",
                        "expected a JSON object, found " + node.getNodeType().name().toLowerCase(Locale.ROOT),
                        new String(lines.bytes(), 0, lines.length(), StandardCharsets.UTF_8));
            }
            return InputRecord.of(name, line, new KunRecord(object));
        }
        return null;
    }
}
