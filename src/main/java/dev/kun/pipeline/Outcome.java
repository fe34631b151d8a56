package dev.kun.pipeline;

import dev.kun.record.KunRecord;

/**
 * What a stage made of one input record: the record to write (kept), the record and the reason it
 * was dropped, or bad input (the record lacks what the stage needs). The runner turns bad input into
 * an exit naming file and line, or into a reject under {@code --on-error skip}. Token counts feed
 * the stage statistics.
 */
public record Outcome(KunRecord record, String dropReason, String badInputMessage, long tokensIn, long tokensOut) {

    public static Outcome kept(KunRecord record) {
        return new Outcome(record, null, null, 0, 0);
    }

    public static Outcome dropped(KunRecord record, String reason) {
        return new Outcome(record, reason, null, 0, 0);
    }

    /** {@code reason} is the short reject reason ("missing_field"); {@code message} the one-line error. */
    public static Outcome badInput(KunRecord record, String reason, String message) {
        return new Outcome(record, reason, message, 0, 0);
    }

    public boolean isKept() {
        return dropReason == null;
    }

    public boolean isBadInput() {
        return badInputMessage != null;
    }

    public Outcome withTokens(long in, long out) {
        return new Outcome(record, dropReason, badInputMessage, in, out);
    }
}
