package dev.kun.filter;

import dev.kun.record.Utf8Text;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A keyword list of the method; a text matches when it contains any keyword as a substring. Equal,
 * hashed and printed as the record {@code Keywords(words)} it was, since the rule set's description
 * (the resume fingerprint) prints it.
 */
public final class Keywords {
    private final List<String> words;
    /** The words as UTF-8, for text held as bytes; null when a word has no UTF-8 form (a lone surrogate). */
    private final List<Utf8Text> utf8;

    public Keywords(List<String> words) {
        this.words = List.copyOf(words);
        if (this.words.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("empty keyword (it would match every text)");
        }
        List<Utf8Text> encoded = new ArrayList<>(this.words.size());
        for (String word : this.words) {
            Utf8Text u = Utf8Text.encode(word);
            if (u == null) {
                encoded = null;
                break;
            }
            encoded.add(u);
        }
        this.utf8 = encoded == null ? null : List.copyOf(encoded);
    }

    public List<String> words() {
        return words;
    }

    /** The first keyword (in list order) contained in {@code text}, or null. */
    public String firstIn(String text) {
        for (String word : words) {
            if (text.contains(word)) {
                return word;
            }
        }
        return null;
    }

    /** Whether any keyword is contained in {@code text}: the same answer as {@code firstIn(text.toString()) != null}. */
    public boolean anyIn(Utf8Text text) {
        if (utf8 == null) {
            return firstIn(text.toString()) != null;
        }
        for (Utf8Text word : utf8) {
            if (text.contains(word)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Keywords k && words.equals(k.words);
    }

    @Override
    public int hashCode() {
        return Objects.hash(words);
    }

    @Override
    public String toString() {
        return "Keywords[words=" + words + "]";
    }
}
