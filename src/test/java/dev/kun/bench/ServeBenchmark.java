package dev.kun.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.backend.Backends;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.SamplingParams;
import dev.kun.generate.TextGenerator;
import dev.kun.record.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * kun serve's figures (issue 14): the aggregate generated tokens/s of concurrent clients against the
 * in-process engine at the same batch size, and a soak of many clients with malformed and oversized
 * requests mixed in. Not a test (surefire skips *Benchmark); run through scripts/bench-serve.sh.
 *
 * <pre>
 * ServeBenchmark inprocess MODEL [--batch 8] [--requests 32] [--max-tokens 64]
 *     what kun generate does: one generator with --batch-size slots, all requests in one call
 * ServeBenchmark load URL [--clients 8] [--requests N | --seconds S] [--max-tokens 64] [--bad 0.1]
 *                         [--pid PID] [--key KEY] [--model NAME]
 *     concurrent clients, each one request at a time; --bad: the share of malformed or oversized
 *     requests; --pid: the server's process, whose resident memory is sampled every 0.5 s
 * </pre>
 * Both print one JSON line on stdout and a summary on stderr. Requests are greedy (temperature 0), on
 * the same prompts, so both sides generate the same tokens.
 */
public final class ServeBenchmark {
    private int batch = 8;
    private int requests = 32;
    private int maxTokens = 64;
    private int clients = 8;
    private int seconds;
    private double bad;
    private long pid = -1;
    private String key;
    private String model = "bench";

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || !(args[0].equals("inprocess") || args[0].equals("load"))) {
            System.err.println("usage: ServeBenchmark inprocess MODEL [--batch N] [--requests N] [--max-tokens N]\n"
                    + "       ServeBenchmark load URL [--clients N] [--requests N | --seconds S] [--max-tokens N]"
                    + " [--bad F] [--pid PID] [--key KEY] [--model NAME]");
            System.exit(2);
        }
        ServeBenchmark b = new ServeBenchmark();
        b.parse(Arrays.copyOfRange(args, 2, args.length));
        if (args[0].equals("inprocess")) {
            b.inProcess(Path.of(args[1]));
        } else {
            b.load(URI.create(args[1]));
        }
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--batch" -> batch = Integer.parseInt(args[++i]);
                case "--requests" -> requests = Integer.parseInt(args[++i]);
                case "--max-tokens" -> maxTokens = Integer.parseInt(args[++i]);
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--bad" -> bad = Double.parseDouble(args[++i]);
                case "--pid" -> pid = Long.parseLong(args[++i]);
                case "--key" -> key = args[++i];
                case "--model" -> model = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
    }

    /** The i-th prompt: short, distinct, the same on both sides. */
    static String prompt(int i) {
        return "the " + i + " in a " + (char) ('a' + i % 26) + " at the";
    }

    private void inProcess(Path dir) {
        BackendSpec spec = new BackendSpec(dir, "cpu", null, "auto", batch, 0, "auto");
        try (TextGenerator g = Backends.openGenerator(spec)) {
            SamplingParams greedy = SamplingParams.greedy(maxTokens);
            List<GenerationRequest> warm = new ArrayList<>();
            for (int i = 0; i < batch; i++) warm.add(new GenerationRequest(prompt(1000 + i), SamplingParams.greedy(8), 0));
            g.generate(warm);
            List<GenerationRequest> all = new ArrayList<>();
            for (int i = 0; i < requests; i++) all.add(new GenerationRequest(prompt(i), greedy, 0));
            long t0 = System.nanoTime();
            List<Generation> out = g.generate(all);
            double wall = (System.nanoTime() - t0) / 1e9;
            long tokens = out.stream().mapToLong(Generation::generatedTokens).sum();
            ObjectNode r = Json.MAPPER.createObjectNode().put("mode", "inprocess").put("batch", batch).put("requests", requests)
                    .put("max_tokens", maxTokens).put("generated_tokens", tokens).put("seconds", round(wall))
                    .put("tokens_per_s", round(tokens / wall));
            System.err.printf("in-process, batch %d: %d requests, %d tokens in %.1f s = %.1f tokens/s%n", batch, requests,
                    tokens, wall, tokens / wall);
            System.out.println(r);
        }
    }

    /** What a client sent: a valid completion, or one of the kinds of bad request. */
    private enum Kind { VALID, MALFORMED, WRONG_TYPE, UNKNOWN_MODEL, OVERSIZED }

    private void load(URI base) throws Exception {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        URI completions = base.resolve("/v1/completions");
        // An oversized body: 2 MiB, beyond the server's default 1 MiB limit.
        String oversized = "{\"model\":\"" + model + "\",\"prompt\":\"" + "a".repeat(2 << 20) + "\"}";
        long deadline = seconds > 0 ? System.nanoTime() + seconds * 1_000_000_000L : Long.MAX_VALUE;
        AtomicInteger issued = new AtomicInteger();
        Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
        LongAdder tokens = new LongAdder();
        LongAdder validFiveXx = new LongAdder();
        List<Double> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        long startRss = rssKb();
        AtomicLong peakRss = new AtomicLong(startRss);
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peakRss.accumulateAndGet(rssKb(), Math::max);
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.setDaemon(true);
        sampler.start();

        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            Thread t = new Thread(() -> {
                // SplittableRandom mixes its seed: java.util.Random's first draws from seeds 0, 1, 2...
                // are nearly equal, and most clients here make only a few draws.
                SplittableRandom rnd = new SplittableRandom(client);
                while (System.nanoTime() < deadline) {
                    int n = issued.getAndIncrement();
                    if (seconds == 0 && n >= requests) break;
                    Kind kind = rnd.nextDouble() < bad ? Kind.values()[1 + rnd.nextInt(4)] : Kind.VALID;
                    String body = switch (kind) {
                        case VALID -> "{\"model\":\"" + model + "\",\"prompt\":" + quote(prompt(n)) + ",\"max_tokens\":"
                                + maxTokens + ",\"temperature\":0}";
                        case MALFORMED -> "{\"model\":\"" + model + "\",\"prompt\":\"unterminated";
                        case WRONG_TYPE -> "{\"model\":\"" + model + "\",\"prompt\":\"x\",\"max_tokens\":\"many\"}";
                        case UNKNOWN_MODEL -> "{\"model\":\"no-such-model\",\"prompt\":\"x\"}";
                        case OVERSIZED -> oversized;
                    };
                    HttpRequest.Builder req = HttpRequest.newBuilder(completions).timeout(Duration.ofSeconds(600))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
                    if (key != null) req.header("Authorization", "Bearer " + key);
                    long s0 = System.nanoTime();
                    String status;
                    try {
                        HttpResponse<String> r = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
                        status = Integer.toString(r.statusCode());
                        if (kind == Kind.VALID) {
                            if (r.statusCode() >= 500) validFiveXx.increment();
                            if (r.statusCode() == 200) {
                                JsonNode j = Json.MAPPER.readTree(r.body());
                                tokens.add(j.at("/usage/completion_tokens").asLong());
                                latencies.add((System.nanoTime() - s0) / 1e9);
                            }
                        }
                    } catch (IOException e) {
                        // An oversized body may be cut off by the server's close before its 413 is read.
                        status = "io:" + e.getClass().getSimpleName();
                        if (kind == Kind.VALID) validFiveXx.increment();
                    } catch (InterruptedException e) {
                        return;
                    }
                    statuses.computeIfAbsent(kind.name().toLowerCase() + " " + status, k -> new LongAdder()).increment();
                }
            }, "client-" + c);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) t.join();
        double wall = (System.nanoTime() - t0) / 1e9;
        sampler.interrupt();
        peakRss.accumulateAndGet(rssKb(), Math::max);

        double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        ObjectNode r = Json.MAPPER.createObjectNode().put("mode", "load").put("clients", clients)
                .put("seconds", round(wall)).put("bad_fraction", bad).put("max_tokens", maxTokens)
                .put("generated_tokens", tokens.sum()).put("tokens_per_s", round(tokens.sum() / wall))
                .put("valid_5xx_or_io_errors", validFiveXx.sum())
                .put("latency_p50_s", round(percentile(sorted, 0.5))).put("latency_p95_s", round(percentile(sorted, 0.95)))
                .put("latency_max_s", round(percentile(sorted, 1.0)));
        ObjectNode counts = r.putObject("statuses");
        new TreeMap<>(statuses).forEach((k, v) -> counts.put(k, v.sum()));
        if (pid > 0) {
            r.put("server_rss_start_mb", round(startRss / 1e3));
            r.put("server_rss_end_mb", round(rssKb() / 1e3));
            r.put("server_peak_rss_sampled_mb", round(peakRss.get() / 1e3));
            r.put("server_vmhwm_mb", round(statusKb(pid, "VmHWM:") / 1e3));
        }
        System.err.printf("%d clients, %.1f s: %d tokens = %.1f tokens/s; latency p50 %.2f s, p95 %.2f s; valid 5xx/io %d;"
                + " %s%s%n", clients, wall, tokens.sum(), tokens.sum() / wall, percentile(sorted, 0.5),
                percentile(sorted, 0.95), validFiveXx.sum(), counts,
                pid > 0 ? String.format("; server RSS %.0f MB at the start, %.0f at the end, peak %.0f", startRss / 1e3,
                        rssKb() / 1e3, statusKb(pid, "VmHWM:") / 1e3) : "");
        System.out.println(r);
    }

    private long rssKb() {
        return pid > 0 ? statusKb(pid, "VmRSS:") : -1;
    }

    private static long statusKb(long pid, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(key)) return Long.parseLong(line.replaceAll("\\D", ""));
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    private static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) return Double.NaN;
        int i = Math.max(0, (int) Math.ceil(p * sorted.length) - 1);
        return sorted[Math.min(sorted.length - 1, i)];
    }

    private static String quote(String s) {
        try {
            return Json.MAPPER.writeValueAsString(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double round(double d) {
        return Math.round(d * 1000) / 1000.0;
    }
}
