package dev.kun.openai;

import java.util.List;

/**
 * The servers of one {@code --endpoint} pool: each request goes to the available server with the fewest
 * requests outstanding (least-outstanding-requests), ties taken in turn. Used by the dispatching thread only.
 */
final class EndpointPool {
    final List<Endpoint> endpoints;
    private int next;

    EndpointPool(List<Endpoint> endpoints) {
        this.endpoints = List.copyOf(endpoints);
    }

    /** The server to send the next request to, or null when every one is full or set aside. */
    Endpoint choose() {
        Endpoint best = null;
        int n = endpoints.size();
        for (int k = 0; k < n; k++) {
            Endpoint e = endpoints.get((next + k) % n);
            if (e.available() && (best == null || e.inFlight < best.inFlight)) best = e;
        }
        if (best != null) next = (endpoints.indexOf(best) + 1) % n;
        return best;
    }

    /** The earliest time a set-aside server may take a probe, or Long.MAX_VALUE. */
    long nextProbe() {
        long t = Long.MAX_VALUE;
        for (Endpoint e : endpoints) t = Math.min(t, e.probeAt());
        return t;
    }

    int capacity() {
        int total = 0;
        for (Endpoint e : endpoints) total += e.limit;
        return total;
    }

    /** One line per server: what failed there and how often. */
    String failureSummary() {
        StringBuilder sb = new StringBuilder();
        for (Endpoint e : endpoints) {
            sb.append(sb.length() == 0 ? "" : "; ").append(e.name).append(": ").append(e.failureSummary());
        }
        return sb.toString();
    }
}
