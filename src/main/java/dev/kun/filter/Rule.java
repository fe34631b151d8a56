package dev.kun.filter;

import dev.kun.record.KunRecord;

/**
 * One rule of the method: keeps, repairs or drops a record. A rule never counts, logs or writes;
 * the filter stage does.
 */
public interface Rule {

    /** The rule's name, also used as the drop reason unless the rule has finer reasons. */
    String name();

    Verdict apply(KunRecord record);
}
