package dev.kun.openai;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One server of the pool as the dispatcher sees it: requests in flight against its limit, and its
 * health. After {@link #SET_ASIDE_AFTER} failures in a row it is set aside and takes no requests; once
 * the wait is over it is probed (GET /v1/models, so a probe never spends a request, nor fails for one
 * request's own fault), and is back when the probe is answered, else set aside again for twice as long
 * (up to 30 s). Used by the dispatching thread only.
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
    private long asideUntil;
    private boolean setAside;
    private boolean probing;
    /** What went wrong here, and how often, for the message when the stage stops. */
    private final Map<String, Integer> failures = new LinkedHashMap<>();

    private final URI completions;
    private final URI chat;

    Endpoint(URI base, int limit) {
        this.base = base;
        this.limit = limit;
        this.completions = URI.create(base + EndpointApi.COMPLETIONS.path);
        this.chat = URI.create(base + EndpointApi.CHAT.path);
        this.name = base.getUserInfo() == null ? base.toString() : base.toString().replace(base.getRawUserInfo() + "@", "");
    }

    /** The URL of {@code api}'s route here. */
    URI route(EndpointApi api) {
        return api == EndpointApi.COMPLETIONS ? completions : chat;
    }

    /** Whether a request may be sent here now. */
    boolean available() {
        return !setAside && inFlight < limit;
    }

    /** Whether it is set aside and its wait is over, so a probe should go out. */
    boolean probeDue(long now) {
        return setAside && !probing && now - asideUntil >= 0;
    }

    /** When a set-aside endpoint's probe is due, or Long.MAX_VALUE when none is waiting for one. */
    long probeAt() {
        return setAside && !probing ? asideUntil : Long.MAX_VALUE;
    }

    void sent() {
        inFlight++;
    }

    void probeSent() {
        probing = true;
    }

    /** A probe came back: answered (the server is up), or not (set aside for longer). */
    void probed(boolean up, long now) {
        probing = false;
        if (up) {
            setAside = false;
            failuresInRow = 0;
            asideNanos = 0;
        } else {
            failures.merge("probe failed", 1, Integer::sum);
            setAside(now);
        }
    }

    /** A probe whose answer no one will read (its generate call ended): send another when needed. */
    void forgetProbe() {
        probing = false;
    }

    /** The server answered (a generation, or a permanent error about the request itself). */
    void answered() {
        inFlight--;
        failuresInRow = 0;
        asideNanos = 0;
        setAside = false;
    }

    /** A request here failed in a way worth retrying: a refused connection, a timeout, 429, 5xx. */
    void failed(String kind, long now) {
        inFlight--;
        failures.merge(kind, 1, Integer::sum);
        if (setAside) return; // answers that were under way when it was set aside
        if (++failuresInRow >= SET_ASIDE_AFTER) setAside(now);
    }

    private void setAside(long now) {
        asideNanos = asideNanos == 0 ? FIRST_ASIDE_NANOS : Math.min(LONGEST_ASIDE_NANOS, 2 * asideNanos);
        asideUntil = now + asideNanos;
        setAside = true;
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
