package dev.kun.record;

/** A file that could not be opened: one bad item (unless a resumed run already consumed it), then nothing. */
final class UnreadableSource implements RecordSource {
    private InputRecord pending;

    UnreadableSource(InputRecord pending) {
        this.pending = pending;
    }

    @Override
    public InputRecord next() {
        InputRecord r = pending;
        pending = null;
        return r;
    }

    @Override
    public boolean opened() {
        return false;
    }

    @Override
    public long offset() {
        return 0;
    }

    @Override
    public long line() {
        return 0;
    }

    @Override
    public long rawBytes() {
        return 0;
    }

    @Override
    public void close() {}
}
