package dev.kun.openai;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One server of the pool as the dispatcher sees it: requests in flight against its limit, and its
 * health. After {@link #SET_ASIDE_AFTER} failures in a row it is set aside; once the wait is over it
 * takes one request as a probe, and is back on success or set aside again for twice as long. Used by
 * the dispatching thread only.
 */
final class Endpoint {
    static final int SET_ASIDE_AFTER = 3;
    private static final long FIRST_ASIDE_NANOS = 1_000_000_000L;
    private static final long LONGEST_ASIDE_NANOS = 30_000_000_000L;

    /** The base URL, ending in /v1 (no trailing slash). */
    final URI base;
    /** The base URL as logs show it: without user info, which may hold a password. */
    final String name;
    final int limit;
    int inFlight;
    private int failuresInRow;
    private long asideNanos;
    /** When set aside: the time it may take a probe; else 0. */
    private long asideUntil;
    private boolean setAside;
    private boolean probing;
    /** What went wrong here, and how often, for the message when the stage stops. */
    private final Map<String, Integer> failures = new LinkedHashMap<>();

    Endpoint(URI base, int limit) {
        this.base = base;
        this.limit = limit;
        this.name = base.getUserInfo() == null ? base.toString() : base.toString().replace(base.getRawUserInfo() + "@", "");
    }

    /** Whether a request may be sent here now. */
    boolean available(long now) {
        if (!setAside) return inFlight < limit;
        return !probing && now >= asideUntil;
    }

    /** When a set-aside endpoint may take its probe, or Long.MAX_VALUE when it needs none. */
    long probeAt() {
        return setAside && !probing ? asideUntil : Long.MAX_VALUE;
    }

    void sent() {
        inFlight++;
        if (setAside) probing = true;
    }

    /** The server answered (a generation, or a permanent error about the request itself). */
    void answered() {
        inFlight--;
        failuresInRow = 0;
        setAside = false;
        probing = false;
        asideNanos = 0;
    }

    /** A request here failed in a way worth retrying: a refused connection, a timeout, 429, 5xx. */
    void failed(String kind, long now) {
        inFlight--;
        failures.merge(kind, 1, Integer::sum);
        if (setAside && !probing) return; // an answer that was under way when it was set aside
        failuresInRow++;
        if (probing || failuresInRow >= SET_ASIDE_AFTER) {
            asideNanos = asideNanos == 0 ? FIRST_ASIDE_NANOS : Math.min(LONGEST_ASIDE_NANOS, 2 * asideNanos);
            asideUntil = now + asideNanos;
            setAside = true;
            probing = false;
        }
    }

    boolean isSetAside() {
        return setAside;
    }

    /** "connection refused x12, HTTP 503 x4", or "no failures". */
    String failureSummary() {
        if (failures.isEmpty()) return "no failures";
        StringBuilder sb = new StringBuilder();
        failures.forEach((kind, n) -> sb.append(sb.length() == 0 ? "" : ", ").append(kind).append(" x").append(n));
        return sb.toString();
    }
}
