package dev.kun.serve;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What {@code /metrics} reports, in Prometheus' text format: requests by endpoint and status, prompt and
 * generated tokens, clients that hung up, the queue and the slots now, and latency histograms (whole
 * request, time in the queue, time to the first streamed text).
 */
final class ServerMetrics {
    private static final double[] LATENCY = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500};
    private static final double[] SHORT = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100};

    private final Slots slots;
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder generatedTokens = new LongAdder();
    private final LongAdder disconnects = new LongAdder();
    private final Map<String, Histogram> duration = new ConcurrentHashMap<>();
    private final Histogram queueWait = new Histogram(SHORT);
    private final Histogram firstToken = new Histogram(SHORT);

    ServerMetrics(Slots slots) {
        this.slots = slots;
    }

    /** One answered request: {@code endpoint} is a known path or "other", so labels stay few. */
    void request(String endpoint, int status, double seconds) {
        requests.computeIfAbsent("endpoint=\"" + endpoint + "\",code=\"" + status + "\"", k -> new LongAdder()).increment();
        if (endpoint.equals(Endpoint.COMPLETIONS.path) || endpoint.equals(Endpoint.CHAT.path)) {
            duration.computeIfAbsent(endpoint, k -> new Histogram(LATENCY)).observe(seconds);
        }
    }

    void tokens(int prompt, int generated) {
        promptTokens.add(prompt);
        generatedTokens.add(generated);
    }

    void disconnect() {
        disconnects.increment();
    }

    void queueWait(double seconds) {
        queueWait.observe(seconds);
    }

    void firstToken(double seconds) {
        firstToken.observe(seconds);
    }

    long disconnects() {
        return disconnects.sum();
    }

    /** The exposition text. */
    String text() {
        StringBuilder out = new StringBuilder(4096);
        header(out, "kun_requests_total", "counter", "HTTP requests answered, by endpoint and status code.");
        new TreeMap<>(requests).forEach((labels, n) -> out.append("kun_requests_total{").append(labels).append("} ")
                .append(n.sum()).append('\n'));
        counter(out, "kun_prompt_tokens_total", "Prompt tokens of completed generations.", promptTokens.sum());
        counter(out, "kun_generation_tokens_total", "Tokens generated, counting the end token that stopped a generation.",
                generatedTokens.sum());
        counter(out, "kun_client_disconnects_total", "Requests given up because the client hung up before the answer.",
                disconnects.sum());
        gauge(out, "kun_queue_depth", "Requests waiting for a decode slot.", slots.waiting());
        gauge(out, "kun_queue_capacity", "Most requests that may wait (--max-queue); beyond it: 503.", slots.queue());
        gauge(out, "kun_slots_busy", "Requests running on the engine, one decode slot each.", slots.running());
        gauge(out, "kun_slots", "Decode slots (--batch-size).", slots.slots());
        header(out, "kun_request_duration_seconds", "histogram", "Time from a generating request's arrival to its answer's end.");
        new TreeMap<>(duration).forEach((endpoint, h) -> h.write(out, "kun_request_duration_seconds", "endpoint=\"" + endpoint + "\","));
        header(out, "kun_queue_wait_seconds", "histogram", "Time a request waited for a decode slot.");
        queueWait.write(out, "kun_queue_wait_seconds", "");
        header(out, "kun_time_to_first_token_seconds", "histogram", "Time from a streamed request's arrival to its first text.");
        firstToken.write(out, "kun_time_to_first_token_seconds", "");
        return out.toString();
    }

    private static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        header(out, name, "counter", help);
        out.append(name).append(' ').append(value).append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, long value) {
        header(out, name, "gauge", help);
        out.append(name).append(' ').append(value).append('\n');
    }
}
