package dev.kun.model.generation;

/**
 * The input of one forward pass: for each row, the tokens to run and where they go. Row b occupies
 * cache slot {@code firstSlot + b} and its tokens take positions {@code start[b] .. start[b] +
 * tokens[b].length - 1}, after the {@code start[b]} tokens already in that slot's cache. Rows may
 * differ in length; shorter rows are padded on the right, which a causal mask makes invisible to
 * their real tokens.
 *
 * @param allPositions logits for every position of every row (scoring) instead of only each row's
 *                     last token (generation)
 */
public record TokenBatch(int[][] tokens, int firstSlot, int[] start, boolean allPositions) {

    public TokenBatch {
        if (tokens.length == 0 || tokens.length != start.length) {
            throw new IllegalArgumentException("rows: " + tokens.length + " token rows, " + start.length + " starts");
        }
        for (int[] row : tokens) {
            if (row.length == 0) throw new IllegalArgumentException("empty row");
        }
    }

    public int rows() {
        return tokens.length;
    }

    /** Length of the longest row: the padded T of the forward pass. */
    public int width() {
        int t = 0;
        for (int[] row : tokens) t = Math.max(t, row.length);
        return t;
    }

    /** Positions the cache must hold for this batch, padding included. */
    public int reach() {
        int r = 0;
        int width = width();
        for (int b = 0; b < start.length; b++) r = Math.max(r, start[b] + width);
        return r;
    }
}
