package dev.kun.record;

/**
 * How input is parsed: the format, how plain text splits, which field plain text lands in
 * ({@code text} for seed, {@code prompt} for generate), and the longest line accepted.
 */
public record ReadOptions(InputFormat format, SplitMode split, String textField, long maxLineBytes) {

    public static ReadOptions defaults() {
        return new ReadOptions(InputFormat.AUTO, SplitMode.PARAGRAPH, KunRecord.TEXT, 16L * 1024 * 1024);
    }
}
