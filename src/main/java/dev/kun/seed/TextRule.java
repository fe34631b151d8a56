package dev.kun.seed;

/** A seed rule on a cleaned text: returns null to keep it, else the drop reason. */
@FunctionalInterface
public interface TextRule {
    String check(String text);
}
