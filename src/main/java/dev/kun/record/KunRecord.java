package dev.kun.record;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;

/**
 * One JSONL record flowing between stages. Known fields have accessors; every other field passes
 * through unchanged and in its original order. Treated as immutable: {@code with}/{@code without}
 * return a modified copy, so a stage never changes a record another stage still holds.
 *
 * <p>A record is backed by a Jackson tree, or, when read for a stage that asked for it
 * ({@link dev.kun.pipeline.Stage#compactRecords()}), by its line's bytes ({@link CompactObject}): the
 * accessors then decode only the fields they are asked for, and the writer copies the rest through.
 * Both forms read, compare and write identically; {@link #json()} builds the tree on first use. Not
 * safe for concurrent use from several threads (the tree and decoded strings are cached lazily).
 */
public final class KunRecord {
    public static final String ID = "id";
    public static final String TEXT = "text";
    public static final String INSTRUCTION = "instruction";
    public static final String INPUT = "input";
    public static final String OUTPUT = "output";
    public static final String SCORE = "score";

    private ObjectNode json;
    private final CompactObject compact;

    /** Wraps {@code json}; the caller must not modify it afterwards. */
    public KunRecord(ObjectNode json) {
        this.json = json;
        this.compact = null;
    }

    KunRecord(CompactObject compact) {
        this.json = null;
        this.compact = compact;
    }

    public static KunRecord empty() {
        return new KunRecord(JsonNodeFactory.instance.objectNode());
    }

    /** The underlying object, for serialisation; do not modify. */
    public ObjectNode json() {
        if (json == null) {
            json = compact.toTree();
        }
        return json;
    }

    public String id() {
        return string(ID);
    }

    /** The field as text, or null when absent, null or not a string. */
    public String string(String field) {
        if (compact != null) {
            return compact.string(field);
        }
        JsonNode node = json.get(field);
        return node != null && node.isTextual() ? node.textValue() : null;
    }

    /**
     * The field's text as UTF-8, when the record holds it as read (a compact record's string field that
     * no stage has replaced); null otherwise, and then {@link #string} is the way to it. Rules that can
     * decide on bytes use this first and skip decoding the text (see {@link Utf8Text}).
     */
    public Utf8Text utf8(String field) {
        return compact != null ? compact.utf8(field) : null;
    }

    public boolean has(String field) {
        return compact != null ? compact.has(field) : json.has(field);
    }

    public KunRecord with(String field, String value) {
        if (compact != null) {
            return new KunRecord(compact.with(field, value));
        }
        ObjectNode copy = json.deepCopy();
        copy.put(field, value);
        return new KunRecord(copy);
    }

    public KunRecord with(String field, JsonNode value) {
        ObjectNode copy = json().deepCopy();
        copy.set(field, value);
        return new KunRecord(copy);
    }

    public KunRecord without(String field) {
        if (compact != null) {
            CompactObject less = compact.without(field);
            return less == compact ? this : new KunRecord(less);
        }
        if (!json.has(field)) {
            return this;
        }
        ObjectNode copy = json.deepCopy();
        copy.remove(field);
        return new KunRecord(copy);
    }

    /**
     * The name of the first field whose text holds a lone surrogate (no UTF-8 form), or null; see
     * {@link Json#loneSurrogateField}.
     */
    public String loneSurrogateField() {
        return compact != null ? compact.loneSurrogateField() : Json.loneSurrogateField(json);
    }

    /** Writes the record as one compact JSON object, as {@link Json#MAPPER} does, without the line end. */
    void writeTo(OutputStream out) throws IOException {
        if (compact != null) {
            compact.writeTo(out);
        } else {
            out.write(Json.MAPPER.writeValueAsBytes(json));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KunRecord other && json().equals(other.json());
    }

    @Override
    public int hashCode() {
        return json().hashCode();
    }

    @Override
    public String toString() {
        return json().toString();
    }
}
