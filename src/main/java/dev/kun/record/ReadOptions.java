package dev.kun.record;

/**
 * How input is parsed: the format, how plain text splits, which field plain text lands in
 * ({@code text} for seed, {@code prompt} for generate), the longest line accepted, and whether an empty
 * file is bad input ({@code empty_file}: a user's empty input is most likely a mistake) or simply a file of
 * no records (a stage of {@code kun run} reading a previous stage's output, which may have kept nothing).
 */
public record ReadOptions(InputFormat format, SplitMode split, String textField, long maxLineBytes, boolean emptyFilesAllowed) {

    /** Options under which an empty file is bad input. */
    public ReadOptions(InputFormat format, SplitMode split, String textField, long maxLineBytes) {
        this(format, split, textField, maxLineBytes, false);
    }

    public static ReadOptions defaults() {
        return new ReadOptions(InputFormat.AUTO, SplitMode.PARAGRAPH, KunRecord.TEXT, 16L * 1024 * 1024);
    }

    /** The same options with plain text landing in {@code field}. */
    public ReadOptions withTextField(String field) {
        return new ReadOptions(format, split, field, maxLineBytes, emptyFilesAllowed);
    }
}
