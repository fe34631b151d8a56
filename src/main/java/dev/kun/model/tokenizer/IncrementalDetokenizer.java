package dev.kun.model.tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * Turns a growing list of generated ids into text piece by piece, for streaming and stop-string
 * checks. A character split over several byte tokens (CJK, emoji) decodes to U+FFFD until its last
 * byte arrives, so text ending in U+FFFD is held back rather than emitted half-made (up to four
 * visible tokens; beyond that the bytes are invalid, and only text that later bytes can no longer
 * change is released). A run of
 * SentencePiece byte-fallback tokens is held until a non-byte token closes it, because Hugging
 * Face's decoder blanks a whole run to U+FFFD when any byte of it is invalid; a run longer than
 * {@value #MAX_HELD_RUN} tokens is released up to its last whole character. The pieces therefore
 * concatenate to exactly {@code decode(all ids)}, except in one degenerate case: an invalid
 * byte-fallback run longer than {@value #MAX_HELD_RUN} tokens, where the stream keeps the valid
 * characters it already emitted.
 *
 * <p>Each step decodes only a short window (the last emitted tokens plus the pending ones) and emits
 * the difference, so that decoders that look at neighbouring tokens (SentencePiece's leading-space
 * strip, byte fusion) see enough context; the cost per token is constant, not the sequence length.
 */
public final class IncrementalDetokenizer {
    /** A UTF-8 character has at most four bytes, hence at most four byte-fallback tokens. */
    private static final int MAX_HELD = 4;
    /** Bound on holding an open byte-fallback run, so stop strings are still seen in long byte runs. */
    private static final int MAX_HELD_RUN = 32;
    private static final char REPLACEMENT = '\uFFFD';

    private final EngineTokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private int[] ids = new int[64];
    private int size;
    private int prefixOffset;
    private int readOffset;
    private final StringBuilder text = new StringBuilder();
    private int stopCheckedUpTo;
    private boolean runOpen;

    IncrementalDetokenizer(EngineTokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Adds one generated id; returns the text it completes (often empty while a character is pending). */
    public String push(int id) {
        if (size == ids.length) ids = Arrays.copyOf(ids, size * 2);
        ids[size++] = id;
        String prefix = tokenizer.decode(ids, prefixOffset, readOffset, skipSpecialTokens);
        String full = tokenizer.decode(ids, prefixOffset, size, skipSpecialTokens);
        int held = visibleFrom(readOffset);
        // A skipped special token is invisible to the decoder, so it does not close a byte run.
        if (visible(id)) runOpen = tokenizer.isByteToken(id);
        if (runOpen && held < MAX_HELD_RUN) {
            return "";
        }
        if (full.length() <= prefix.length()) {
            return "";
        }
        if (full.charAt(full.length() - 1) != REPLACEMENT) {
            // Only a retroactively invalidated byte run (the degenerate case above) breaks the prefix.
            return emit(full.startsWith(prefix) ? full.substring(prefix.length()) : full.substring(commonPrefix(prefix, full)));
        }
        if (held < MAX_HELD) {
            return "";
        }
        // A long byte run still open: its text up to the last character boundary among the last four
        // tokens is final. Hugging Face's decoder blanks an unfinished run to U+FFFD throughout, so the
        // window is cut where the run is whole instead of compared with the blanked one.
        int boundary = size;
        for (int seen = 0; boundary > readOffset && seen < MAX_HELD; boundary--) {
            if (visible(ids[boundary - 1])) seen++;
            if (boundary == size) continue;
            String whole = tokenizer.decode(ids, prefixOffset, boundary, skipSpecialTokens);
            if (whole.length() > prefix.length() && whole.startsWith(prefix) && whole.charAt(whole.length() - 1) != REPLACEMENT) {
                String piece = whole.substring(prefix.length());
                prefixOffset = readOffset;
                readOffset = boundary;
                text.append(piece);
                return piece;
            }
        }
        // Still U+FFFD after four visible tokens: invalid bytes, not a pending character. Text before the last
        // three tokens is final once it is a prefix of the full window: an incomplete character needs at
        // most three more bytes, and those have been seen.
        int cut = size;
        for (int seen = 0; seen < MAX_HELD - 1; ) {
            if (visible(ids[--cut])) seen++;
        }
        String part = tokenizer.decode(ids, prefixOffset, cut, skipSpecialTokens);
        if (part.length() <= prefix.length() || !part.startsWith(prefix) || !full.startsWith(part)) {
            return "";
        }
        String piece = part.substring(prefix.length());
        prefixOffset = readOffset;
        readOffset = cut;
        text.append(piece);
        return piece;
    }

    /** Emits whatever is still held back (an incomplete character becomes U+FFFD); call when the sequence ends. */
    public String flush() {
        if (readOffset == size) return "";
        // At the end, exactness matters more than cost: compare with a decode of the whole sequence.
        String whole = tokenizer.decode(ids, 0, size, skipSpecialTokens);
        String sofar = text.toString();
        if (whole.startsWith(sofar)) return emit(whole.substring(sofar.length()));
        String prefix = tokenizer.decode(ids, prefixOffset, readOffset, skipSpecialTokens);
        String full = tokenizer.decode(ids, prefixOffset, size, skipSpecialTokens);
        return emit(full.substring(Math.min(full.length(), commonPrefix(prefix, full))));
    }

    /** Skipped special tokens produce no bytes, so they do not count toward a character's length. */
    private boolean visible(int id) {
        return !(skipSpecialTokens && tokenizer.isSpecial(id));
    }

    private int visibleFrom(int from) {
        int n = 0;
        for (int i = from; i < size; i++) if (visible(ids[i])) n++;
        return n;
    }

    private static int commonPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) i++;
        return i;
    }

    private String emit(String piece) {
        prefixOffset = readOffset;
        readOffset = size;
        text.append(piece);
        return piece;
    }

    /** Everything emitted so far. */
    public String text() {
        return text.toString();
    }

    /** Number of ids pushed so far. */
    public int tokenCount() {
        return size;
    }

    /**
     * Earliest position in {@link #text()} where one of {@code stops} begins, or -1. Only text that
     * arrived since the previous call (plus an overlap of the longest stop minus one) is searched, so
     * checking after every token stays linear.
     */
    public int findStop(List<String> stops) {
        if (stops.isEmpty()) return -1;
        int longest = 0;
        for (String s : stops) longest = Math.max(longest, s.length());
        int from = Math.max(0, stopCheckedUpTo - longest + 1);
        int best = -1;
        for (String s : stops) {
            if (s.isEmpty()) continue;
            int i = text.indexOf(s, from);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        stopCheckedUpTo = text.length();
        return best;
    }
}
