package dev.kun.record;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One JSONL record flowing between stages. Known fields have accessors; every other field passes
 * through unchanged and in its original order. Treated as immutable: {@code with}/{@code without}
 * return a modified copy, so a stage never changes a record another stage still holds.
 */
public final class KunRecord {
    public static final String ID = "id";
    public static final String TEXT = "text";
    public static final String INSTRUCTION = "instruction";
    public static final String INPUT = "input";
    public static final String OUTPUT = "output";
    public static final String SCORE = "score";

    private final ObjectNode json;

    /** Wraps {@code json}; the caller must not modify it afterwards. */
    public KunRecord(ObjectNode json) {
        this.json = json;
    }

    public static KunRecord empty() {
        return new KunRecord(JsonNodeFactory.instance.objectNode());
    }

    /** The underlying object, for serialisation; do not modify. */
    public ObjectNode json() {
        return json;
    }

    public String id() {
        return string(ID);
    }

    /** The field as text, or null when absent, null or not a string. */
    public String string(String field) {
        JsonNode node = json.get(field);
        return node != null && node.isTextual() ? node.textValue() : null;
    }

    public boolean has(String field) {
        return json.has(field);
    }

    public KunRecord with(String field, String value) {
        ObjectNode copy = json.deepCopy();
        copy.put(field, value);
        return new KunRecord(copy);
    }

    public KunRecord with(String field, JsonNode value) {
        ObjectNode copy = json.deepCopy();
        copy.set(field, value);
        return new KunRecord(copy);
    }

    public KunRecord without(String field) {
        if (!json.has(field)) {
            return this;
        }
        ObjectNode copy = json.deepCopy();
        copy.remove(field);
        return new KunRecord(copy);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KunRecord other && json.equals(other.json);
    }

    @Override
    public int hashCode() {
        return json.hashCode();
    }

    @Override
    public String toString() {
        return json.toString();
    }
}
