package dev.kun.record;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/**
 * A file holding one JSON array of objects (the method's seed-instruction sets), read element by element
 * with the streaming parser. It resumes by element count, not offset; malformed JSON ends the file, since
 * the parser cannot find the next element.
 */
final class JsonArraySource implements RecordSource {
    /** Reads one array element; the elements after it are not "trailing tokens". */
    private static final ObjectReader ELEMENT = Json.MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final String name;
    private final CountingInputStream raw;
    private final JsonParser parser;
    private final long maxElementBytes;
    private boolean done;
    private boolean failed;
    private long line;

    /** {@code data} is positioned at the opening {@code [}, as {@link RecordReader} peeked at it. */
    JsonArraySource(String name, CountingInputStream raw, InputStream data, long maxElementBytes) throws IOException {
        this.name = name;
        this.raw = raw;
        this.maxElementBytes = maxElementBytes;
        this.parser = Json.MAPPER.getFactory().createParser(data);
        parser.nextToken(); // the opening [
    }

    @Override
    public InputRecord next() throws IOException {
        if (done) return null;
        try {
            JsonToken token = parser.nextToken();
            if (token == null || token == JsonToken.END_ARRAY) {
                done = true;
                return null;
            }
            JsonLocation start = parser.currentTokenLocation();
            line = start.getLineNr();
            if (token != JsonToken.START_OBJECT) {
                // The same words as a JSONL line that is not an object (token.asString() is null for numbers and strings).
                String found = switch (token) {
                    case START_ARRAY -> "array";
                    case VALUE_STRING -> "string";
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
                    case VALUE_TRUE, VALUE_FALSE -> "boolean";
                    case VALUE_NULL -> "null";
                    default -> token.name().toLowerCase(Locale.ROOT);
                };
                parser.skipChildren();
                return InputRecord.bad(name, line, "not_an_object",
                        "array element: expected a JSON object, found " + found, null);
            }
            ObjectNode object = ELEMENT.readTree(parser);
            long size = parser.currentLocation().getByteOffset() - start.getByteOffset();
            if (size > maxElementBytes) {
                return InputRecord.bad(name, line, "line_too_long",
                        "array element longer than --max-line-bytes (" + maxElementBytes + " bytes)", null);
            }
            return InputRecord.of(name, line, new KunRecord(object));
        } catch (JacksonException e) {
            done = true;
            String m = RecordReader.firstLine(e.getOriginalMessage());
            long at = e.getLocation() == null ? line : e.getLocation().getLineNr();
            boolean utf8 = m.toLowerCase(Locale.ROOT).contains("utf-8") || m.toLowerCase(Locale.ROOT).contains("utf8");
            return InputRecord.bad(name, at, utf8 ? "invalid_utf8" : "malformed_json",
                    (utf8 ? "" : "malformed JSON: ") + m + " (rest of the file not read)", null);
        } catch (IOException e) {
            done = true;
            failed = true;
            return InputRecord.bad(name, line, "unreadable_file", "read failed: " + RecordReader.describe(e), null);
        }
    }

    @Override
    public boolean failed() {
        return failed;
    }

    @Override
    public long offset() {
        return 0;
    }

    @Override
    public long line() {
        return line;
    }

    @Override
    public long rawBytes() {
        return raw.count;
    }

    @Override
    public void close() throws IOException {
        parser.close();
        raw.closeUnlessStdin();
    }
}
