package dev.kun.filter;

import dev.kun.record.KunRecord;

/** A rule's answer: keep the (possibly repaired) record, or drop it for a named reason. */
public record Verdict(KunRecord record, String dropReason) {

    public static Verdict keep(KunRecord record) {
        return new Verdict(record, null);
    }

    public static Verdict drop(String reason) {
        return new Verdict(null, reason);
    }

    public boolean isKept() {
        return dropReason == null;
    }
}
