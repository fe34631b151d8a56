package dev.kun.record;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Closeable;
import java.io.IOException;

/**
 * Writes rejected records: the record's own fields (when there is a record) followed by {@code stage},
 * {@code reason} and {@code source} ("file:line" of the input it came from). Bad input that never
 * became a record also gets {@code error} (the one-line message) and, when short enough, {@code raw}
 * (the offending line). A record field of the same name is overwritten.
 */
public final class RejectWriter implements Closeable {
    public static final String STAGE = "stage";
    public static final String REASON = "reason";
    public static final String SOURCE = "source";
    public static final String ERROR = "error";
    public static final String RAW = "raw";

    private final JsonlWriter out;

    public RejectWriter(JsonlWriter out) {
        this.out = out;
    }

    /** The reject line for {@code record} (may be null) dropped by {@code stage} for {@code reason}. */
    public static ObjectNode reject(KunRecord record, String stage, String reason, String source, String error, String raw) {
        ObjectNode node = record == null ? Json.MAPPER.createObjectNode() : record.json().deepCopy();
        node.put(STAGE, stage);
        node.put(REASON, reason);
        node.put(SOURCE, source);
        if (error != null) node.put(ERROR, error);
        if (raw != null) node.put(RAW, raw);
        return node;
    }

    /** The reject line for a record {@code stage} dropped for {@code reason}: the same fields as the general form. */
    public static KunRecord reject(KunRecord record, String stage, String reason, String source) {
        return record.with(STAGE, stage).with(REASON, reason).with(SOURCE, source);
    }

    public void write(KunRecord reject) throws IOException {
        out.write(reject);
    }

    public void write(ObjectNode reject) throws IOException {
        out.write(reject);
    }

    public long commit() throws IOException {
        return out.commit();
    }

    /** See {@link JsonlWriter#flush()}. */
    public long flush() throws IOException {
        return out.flush();
    }

    /** See {@link JsonlWriter#sync()}. */
    public void sync() throws IOException {
        out.sync();
    }

    /** See {@link JsonlWriter#abort()}. */
    public void abort() {
        out.abort();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
