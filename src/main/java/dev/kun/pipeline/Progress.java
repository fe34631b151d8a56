package dev.kun.pipeline;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Progress on stderr: records, records per second, generated tokens per second (model stages) and,
 * when the input size is known, percent and ETA. On a terminal one line is redrawn every half second; with {@code --progress always} and no
 * terminal a plain line is written every ten seconds instead.
 */
final class Progress {
    private final PrintStream err;
    private final String stage;
    private final long totalBytes;
    private final boolean enabled;
    private final boolean terminal;
    private final long startNanos = System.nanoTime();
    private final long startRecords;
    private final long startBytes;
    private final long startTokens;
    private final long intervalNanos;
    private long lastPrint = startNanos;
    private boolean printed;

    Progress(ProgressMode mode, String stage, long totalBytes, long startRecords, long startBytes, long startTokens) {
        this(System.err, stderrIsTerminal(), -1, mode, stage, totalBytes, startRecords, startBytes, startTokens);
    }

    /** {@code intervalNanos} -1: half a second on a terminal, ten seconds otherwise. */
    Progress(PrintStream err, boolean terminal, long intervalNanos, ProgressMode mode, String stage, long totalBytes,
            long startRecords, long startBytes, long startTokens) {
        this.err = err;
        this.stage = stage;
        this.totalBytes = totalBytes;
        this.terminal = terminal;
        this.enabled = mode == ProgressMode.ALWAYS || (mode == ProgressMode.AUTO && terminal);
        this.intervalNanos = intervalNanos >= 0 ? intervalNanos : terminal ? 500_000_000L : 10_000_000_000L;
        this.startRecords = startRecords;
        this.startBytes = startBytes;
        this.startTokens = startTokens;
    }

    /**
     * True when stderr is a terminal. System.console() is no use here: it is null as soon as stdout
     * is redirected, which is exactly how kun is run.
     */
    static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return false;
        }
    }

    /** {@code tokensOut}: generated tokens so far (0 for a stage without a model: then not shown). */
    void update(long records, long bytes, long tokensOut) {
        if (!enabled) return;
        long now = System.nanoTime();
        if (now - lastPrint < intervalNanos) return;
        lastPrint = now;
        double seconds = (now - startNanos) / 1e9;
        double rate = (records - startRecords) / Math.max(seconds, 1e-9);
        StringBuilder line = new StringBuilder();
        line.append(String.format(Locale.ROOT, "%s: %,d records, %,.0f/s", stage, records, rate));
        if (tokensOut > startTokens) {
            line.append(String.format(Locale.ROOT, ", %,.0f tokens/s", (tokensOut - startTokens) / Math.max(seconds, 1e-9)));
        }
        if (totalBytes > 0) {
            double done = Math.min(1.0, (double) bytes / totalBytes);
            double byteRate = (bytes - startBytes) / Math.max(seconds, 1e-9);
            line.append(String.format(Locale.ROOT, ", %.1f%%", done * 100));
            if (byteRate > 0) line.append(", ETA ").append(duration((totalBytes - bytes) / byteRate));
        }
        if (terminal) {
            err.print("\r" + line + "\033[K");
        } else {
            err.println(line);
        }
        err.flush();
        printed = true;
    }

    void finish() {
        if (enabled && terminal && printed) {
            err.print("\r\033[K");
            err.flush();
        }
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
