package dev.kun.serve;

import java.util.Locale;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/** A Prometheus histogram of seconds: cumulative buckets, sum and count, safe to observe from any thread. */
final class Histogram {
    private final double[] bounds;
    private final LongAdder[] counts;
    private final DoubleAdder sum = new DoubleAdder();
    private final LongAdder count = new LongAdder();

    Histogram(double... bounds) {
        this.bounds = bounds.clone();
        this.counts = new LongAdder[bounds.length];
        for (int i = 0; i < bounds.length; i++) counts[i] = new LongAdder();
    }

    void observe(double seconds) {
        for (int i = 0; i < bounds.length; i++) {
            if (seconds <= bounds[i]) {
                counts[i].increment();
                break;
            }
        }
        sum.add(seconds);
        count.increment();
    }

    /** The series of {@code name} with {@code labels} (e.g. {@code endpoint="x",} or empty) in exposition format. */
    void write(StringBuilder out, String name, String labels) {
        long cumulative = 0;
        for (int i = 0; i < bounds.length; i++) {
            cumulative += counts[i].sum();
            out.append(name).append("_bucket{").append(labels).append("le=\"").append(number(bounds[i])).append("\"} ")
                    .append(cumulative).append('\n');
        }
        // An observation counts its bucket before the total: read mid-way, the total may lag by it.
        long n = Math.max(count.sum(), cumulative);
        out.append(name).append("_bucket{").append(labels).append("le=\"+Inf\"} ").append(n).append('\n');
        String plain = labels.isEmpty() ? "" : "{" + labels.substring(0, labels.length() - 1) + "}";
        out.append(name).append("_sum").append(plain).append(' ').append(number(sum.sum())).append('\n');
        out.append(name).append("_count").append(plain).append(' ').append(n).append('\n');
    }

    static String number(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : String.format(Locale.ROOT, "%s", d);
    }
}
