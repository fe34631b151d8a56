package dev.kun.filter;

import java.util.List;

/** A keyword list of the method; a text matches when it contains any keyword as a substring. */
public record Keywords(List<String> words) {

    public Keywords {
        words = List.copyOf(words);
        if (words.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("empty keyword (it would match every text)");
        }
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
}
