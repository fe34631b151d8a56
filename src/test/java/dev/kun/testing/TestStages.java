package dev.kun.testing;

import dev.kun.pipeline.Outcome;
import dev.kun.pipeline.Stage;
import dev.kun.record.KunRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Small stages for runner tests: identity, drop every n-th, and a stateful deduplicator that relies on restore. */
public final class TestStages {
    private TestStages() {}

    /** Keeps every record; a record without {@code text} is bad input (missing_field). */
    public static Stage identity() {
        return new Stage() {
            @Override
            public String name() {
                return "identity";
            }

            @Override
            public String fingerprint() {
                return "identity";
            }

            @Override
            public List<Outcome> process(List<KunRecord> batch) {
                List<Outcome> out = new ArrayList<>();
                for (KunRecord r : batch) {
                    out.add(r.string("text") == null
                            ? Outcome.badInput(r, "missing_field", "no text field")
                            : Outcome.kept(r));
                }
                return out;
            }
        };
    }

    /** Keeps every record as it is (no field required); crashes after {@code crashAfter} records. */
    public static Stage passthrough(long crashAfter) {
        return new Stage() {
            long processed;

            @Override
            public String name() {
                return "passthrough";
            }

            @Override
            public String fingerprint() {
                return "passthrough";
            }

            @Override
            public List<Outcome> process(List<KunRecord> batch) {
                List<Outcome> out = new ArrayList<>();
                for (KunRecord r : batch) {
                    if (++processed > crashAfter) throw new SimulatedCrash();
                    out.add(Outcome.kept(r));
                }
                return out;
            }
        };
    }

    /**
     * Drops a record when its text was seen before among kept records ("duplicate"), and every third
     * record it sees ("third"); adds {@code n}, the number of kept records before it, so output bytes
     * depend on state that only a correct {@link Stage#restore} rebuilds.
     */
    public static Stage dedup(int batchSize, long crashAfter) {
        return new Stage() {
            final Set<String> seen = new HashSet<>();
            long processed;

            @Override
            public String name() {
                return "dedup";
            }

            @Override
            public String fingerprint() {
                return "dedup v1";
            }

            @Override
            public int batchSize() {
                return batchSize;
            }

            @Override
            public void restore(KunRecord committed) {
                seen.add(committed.string("text"));
            }

            @Override
            public List<Outcome> process(List<KunRecord> batch) {
                List<Outcome> out = new ArrayList<>();
                for (KunRecord r : batch) {
                    if (++processed > crashAfter) throw new SimulatedCrash();
                    String text = r.string("text");
                    if (text == null) {
                        out.add(Outcome.badInput(r, "missing_field", "no text field"));
                    } else if (seen.contains(text)) {
                        out.add(Outcome.dropped(r, "duplicate"));
                    } else if (text.hashCode() % 3 == 0) {
                        out.add(Outcome.dropped(r, "third").withTokens(1, 0));
                    } else {
                        seen.add(text);
                        out.add(Outcome.kept(r.with("n", String.valueOf(seen.size()))).withTokens(2, 3));
                    }
                }
                return out;
            }
        };
    }

    /** Stands in for SIGKILL inside the JVM: an Error nobody catches. */
    public static final class SimulatedCrash extends Error {
        public SimulatedCrash() {
            super("simulated crash");
        }
    }
}
