package dev.kun.pipeline;

import dev.kun.record.KunRecord;

/**
 * What a stage made of one input record: the record to write (kept) or the record and the reason it
 * was dropped. Token counts feed the stage statistics.
 */
public record Outcome(KunRecord record, String dropReason, long tokensIn, long tokensOut) {

    public static Outcome kept(KunRecord record) {
        return new Outcome(record, null, 0, 0);
    }

    public static Outcome dropped(KunRecord record, String reason) {
        return new Outcome(record, reason, 0, 0);
    }

    public boolean isKept() {
        return dropReason == null;
    }

    public Outcome withTokens(long in, long out) {
        return new Outcome(record, dropReason, in, out);
    }
}
