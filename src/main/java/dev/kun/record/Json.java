package dev.kun.record;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.Iterator;
import java.util.Map;

/** The one Jackson configuration records are read and written with. */
public final class Json {

    /**
     * Exact decimals so a pass-through field such as {@code 0.10} is not rounded through a double;
     * trailing tokens fail so {@code {"a":1} x} is malformed rather than silently truncated; string
     * length is bounded by {@code --max-line-bytes}, not by Jackson's default.
     */
    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxStringLength(Integer.MAX_VALUE)
                            .build())
                    .build())
            // Emoji and other non-BMP characters as their 4 UTF-8 bytes, not as escaped surrogate pairs.
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private Json() {}

    /**
     * The name of the first field whose text holds a lone surrogate (a JSON escape such as
     * {@code \\ud800} can produce one), or null when every string is valid Unicode. Such text has no
     * UTF-8 form, and Jackson would silently merge it with the next character, so it must never be
     * written.
     */
    public static String loneSurrogateField(JsonNode node) {
        return loneSurrogate(node, "");
    }

    private static String loneSurrogate(JsonNode node, String name) {
        if (node.isTextual()) return isValidUtf16(node.textValue()) ? null : name;
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!isValidUtf16(e.getKey())) return e.getKey();
                String found = loneSurrogate(e.getValue(), e.getKey());
                if (found != null) return found;
            }
        } else if (node.isArray()) {
            for (JsonNode child : node) {
                String found = loneSurrogate(child, name);
                if (found != null) return found;
            }
        }
        return null;
    }

    /**
     * {@code node} as JSON text in which every lone surrogate is written as its {@code \\uXXXX} escape
     * (as it most likely came in): valid Unicode that reads back as exactly {@code node}, for a reject's
     * {@code raw} when the record itself cannot be written.
     */
    public static String escapedText(JsonNode node) {
        String s;
        try {
            s = MAPPER.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a tree that cannot be written: a bug", e);
        }
        StringBuilder out = null;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            boolean lone = Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < n
                    && Character.isLowSurrogate(s.charAt(i + 1)));
            if (lone) {
                if (out == null) out = new StringBuilder(s.length() + 12).append(s, 0, i);
                out.append(String.format("\\u%04x", (int) c));
            } else {
                if (out != null) out.append(c);
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    if (out != null) out.append(s.charAt(i));
                }
            }
        }
        return out == null ? s : out.toString();
    }

    /** True when every surrogate in {@code s} is part of a high-low pair. */
    public static boolean isValidUtf16(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (!Character.isSurrogate(c)) continue;
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else {
                return false;
            }
        }
        return true;
    }
}
