package dev.kun.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.record.KunRecord;

/** Builds test records: from alternating field names and string values, or from a JSON object's text. */
public final class Records {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Records() {}

    public static KunRecord of(String... fieldsAndValues) {
        ObjectNode json = JSON.createObjectNode();
        for (int i = 0; i < fieldsAndValues.length; i += 2) {
            json.put(fieldsAndValues[i], fieldsAndValues[i + 1]);
        }
        return new KunRecord(json);
    }

    public static KunRecord parse(String jsonText) {
        try {
            return new KunRecord((ObjectNode) JSON.readTree(jsonText));
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
