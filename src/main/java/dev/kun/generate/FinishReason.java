package dev.kun.generate;

/** Why a generation ended: a stop token or stop string, or the token budget. */
public enum FinishReason {
    STOP,
    LENGTH;

    /** The OpenAI-style wire name ("stop", "length"). */
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
