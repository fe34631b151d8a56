package dev.kun.filter;

import dev.kun.record.KunRecord;

/**
 * A rule needs a string field the record lacks: bad input, not a drop. {@link FilterStage} turns it
 * into {@code Outcome.badInput}; it carries no stack trace because it is an expected per-record event.
 */
public final class MissingFieldException extends RuntimeException {
    public static final String MISSING = "missing_field";
    public static final String NOT_STRING = "field_not_string";

    private final String reason;

    private MissingFieldException(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    /** The short reject reason: {@link #MISSING} or {@link #NOT_STRING}. */
    public String reason() {
        return reason;
    }

    /** The field's text; throws when it is absent, null or not a string. */
    public static String require(KunRecord record, String field) {
        String value = record.string(field);
        if (value != null) {
            return value;
        }
        if (!record.has(field) || record.json().get(field).isNull()) {
            throw new MissingFieldException(MISSING, "record has no '" + field + "' field");
        }
        throw new MissingFieldException(
                NOT_STRING, "field '" + field + "' is " + record.json().get(field).getNodeType() + ", not a string");
    }
}
