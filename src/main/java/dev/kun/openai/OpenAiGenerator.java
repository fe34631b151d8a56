package dev.kun.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.generate.EndpointSpec;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.TextGenerator;
import dev.kun.generate.Tokenizer;
import dev.kun.record.Json;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TextGenerator} over a pool of OpenAI-compatible servers (vLLM, SGLang, TGI, llama.cpp, the
 * OpenAI API). The requests of one {@link #generate} call run concurrently, up to {@code limit} in flight
 * per server, each sent to the server with the fewest outstanding; results come back in request order.
 *
 * <p>Failures: a refused or dropped connection, a timeout, 429, 502/503 and other 5xx are retried with
 * jittered exponential backoff (Retry-After honoured); a server that fails {@link Endpoint#SET_ASIDE_AFTER}
 * times in a row is set aside and probed (GET /v1/models) until it answers. A failure that may be the request's own (500, a
 * timeout, a dropped connection, an unreadable answer) is retried at most {@link #REQUEST_RETRIES} times,
 * then the request is a {@code server_error} reject. A 4xx about the request is a reject at once
 * ({@code prompt_too_long} when it says the prompt does not fit, else {@code server_rejected}); 401, 403,
 * 404 and 405 mean the whole run is misconfigured and stop it, and so does a server that refuses the
 * first {@link #REFUSED_BEFORE_ANY} requests and generates for none. When nothing has succeeded for the
 * patience while requests keep failing, {@code generate} throws a {@link KunException} with exit code 4
 * naming what failed where: the stage stops at its last checkpoint, resumable, instead of turning the
 * corpus into rejects.
 *
 * <p>HTTP/1.1 only: the JDK client's default HTTP/2 upgrade request makes uvicorn-based servers (vLLM,
 * SGLang) drop the body. Connections are kept alive. The API key is sent as a bearer token and appears in
 * no log line, message or fingerprint.
 */
public final class OpenAiGenerator implements TextGenerator {
    private static final Logger log = LoggerFactory.getLogger(OpenAiGenerator.class);
    /** Retries of a request whose failures may be its own, before it becomes a reject. */
    static final int REQUEST_RETRIES = 4;
    /** Refusals in a row, before any generation, that stop the run as misconfigured. */
    static final int REFUSED_BEFORE_ANY = 16;
    private static final long FIRST_BACKOFF_NANOS = 500_000_000L;
    private static final long LONGEST_BACKOFF_NANOS = 30_000_000_000L;
    private static final long LONGEST_RETRY_AFTER_NANOS = 600_000_000_000L;
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(10);
    private static final int HTTP_THREADS = 2;

    static {
        // uvicorn (vLLM, SGLang) closes a connection after 5 s idle, the JDK keeps one for 20 minutes; a POST
        // on a connection the server has closed fails instead of being retried. Four seconds stays below.
        if (System.getProperty("jdk.httpclient.keepalive.timeout") == null) {
            System.setProperty("jdk.httpclient.keepalive.timeout", "4");
        }
    }

    private final HttpClient client;
    private final ExecutorService executor;
    private final EndpointPool pool;
    private final CompletionRequests requests;
    /** "Bearer KEY", or null: never logged. */
    private final String authorization;
    private final Duration requestTimeout;
    private final long patienceNanos;
    private final String fingerprint;
    /** Whether any request has come back with a generation since this generator opened. */
    private boolean generated;
    /** Requests the server refused (server_rejected) in a row before any generation. */
    private int refusedBeforeAny;

    private OpenAiGenerator(HttpClient client, ExecutorService executor, EndpointPool pool, CompletionRequests requests,
            String authorization, Duration requestTimeout, long patienceNanos) {
        this.client = client;
        this.executor = executor;
        this.pool = pool;
        this.requests = requests;
        this.authorization = authorization;
        this.requestTimeout = requestTimeout;
        this.patienceNanos = patienceNanos;
        ObjectNode fp = Json.MAPPER.createObjectNode();
        fp.put("backend", "openai");
        requests.fingerprint(fp);
        this.fingerprint = fp.toString();
    }

    /**
     * Connects to the servers of {@code spec}: the model is {@code spec.model()}, else the first one the
     * first answering server lists under /v1/models (waiting up to the patience for one to answer); the
     * context is {@code maxContext}, else the model's max_model_len where the server reports it, else
     * unknown ({@link Integer#MAX_VALUE}: the server's own check decides).
     *
     * @param limit requests in flight per server
     * @param tokenizer the served model's tokenizer, or null to count no tokens here (owned from now on)
     * @param tokenizerName where it was read from, for the fingerprint
     * @param endTokenIds the model's end-of-turn tokens, sent as stop ids where the server takes them
     * @param apiKey sent as a bearer token, or null
     */
    public static OpenAiGenerator open(EndpointSpec spec, int limit, int maxContext, Tokenizer tokenizer,
            String tokenizerName, List<Integer> endTokenIds, String apiKey) {
        EndpointApi api = EndpointApi.parse(spec.api());
        ServerProfile profile = ServerProfile.parse(spec.server());
        if (api == null) throw KunException.usage("--endpoint-api must be completions or chat: " + spec.api());
        if (profile == null) throw KunException.usage("--server must be vllm, sglang, tgi, llamacpp or openai: " + spec.server());
        List<Endpoint> endpoints = new ArrayList<>();
        for (String url : spec.urls()) endpoints.add(new Endpoint(baseUrl(url), limit));
        AtomicInteger threads = new AtomicInteger();
        java.util.concurrent.ThreadFactory factory = task -> {
            Thread t = new Thread(task, "kun-http-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        // Completions are parsed and queued here, never blocked on: two threads keep up with thousands of
        // requests a second, where a thread per connection cost 40% more CPU in hand-offs.
        ExecutorService executor = Executors.newFixedThreadPool(HTTP_THREADS, factory);
        try {
            HttpClient client = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(seconds(spec.connectTimeoutSeconds()))
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .executor(executor)
                    .build();
            String authorization = apiKey == null || apiKey.isEmpty() ? null : "Bearer " + apiKey;
            long patience = seconds(spec.patienceSeconds()).toNanos();
            ServedModel served = ServedModel.discover(client, endpoints, spec.model(), authorization,
                    seconds(Math.min(spec.requestTimeoutSeconds(), 60)), patience);
            int context = maxContext > 0 ? maxContext : served.maxModelLen() > 0 ? served.maxModelLen() : Integer.MAX_VALUE;
            CompletionRequests requests = new CompletionRequests(api, profile, served.name(), tokenizer, tokenizerName,
                    context, endTokenIds);
            log.info("endpoint: model {} ({} {}) on {} server(s), {} requests in flight each; context {}{}",
                    served.name(), profile.wireName(), api.wireName(), endpoints.size(), limit,
                    context == Integer.MAX_VALUE ? "unknown" : context,
                    tokenizer == null ? "; no tokenizer: prompts are not counted here, the server refuses what does not fit" : "");
            return new OpenAiGenerator(client, executor, new EndpointPool(endpoints), requests, authorization,
                    seconds(spec.requestTimeoutSeconds()), patience);
        } catch (RuntimeException e) {
            executor.shutdownNow();
            if (tokenizer != null) tokenizer.close();
            throw e;
        }
    }

    /**
     * {@code url} as a base URL without a trailing slash; a bare host gets /v1. Not an http(s) URL: a
     * usage error.
     */
    public static URI baseUrl(String url) {
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw KunException.usage("--endpoint is not a URL: " + url);
        }
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw KunException.usage("--endpoint must be an http(s) URL such as http://host:8000/v1: " + url);
        }
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        while (path.endsWith("/")) path = path.substring(0, path.length() - 1);
        if (path.isEmpty()) path = "/v1";
        try {
            return new URI(scheme + "://" + uri.getRawAuthority() + path);
        } catch (URISyntaxException e) {
            throw KunException.usage("--endpoint is not a URL: " + url);
        }
    }

    static Duration seconds(double s) {
        return Duration.ofNanos((long) (s * 1e9));
    }

    @Override
    public int contextLength() {
        return requests.contextLength();
    }

    @Override
    public String fingerprint() {
        return fingerprint;
    }

    @Override
    public String servedModel() {
        return requests.model;
    }

    @Override
    public Tokenizer tokenizer() {
        return requests.tokenizer();
    }

    @Override
    public int countTokens(String text) {
        return requests.countTokens(text);
    }

    /** One request on its way: its body, and what befell it so far. */
    private static final class Attempt {
        final int index;
        final byte[] body;
        final int promptTokens;
        int tries;
        int blamed;
        long notBefore;

        Attempt(int index, byte[] body, int promptTokens) {
            this.index = index;
            this.body = body;
            this.promptTokens = promptTokens;
        }
    }

    /** How one exchange ended, decided on the HTTP client's thread, acted on by the dispatcher. */
    private enum Kind { ANSWER, RETRY, FATAL, PROBE }

    private record Exchange(Attempt attempt, Endpoint endpoint, Kind kind, Generation generation, String failure,
            String message, boolean blamed, long retryAfterNanos) {
        static Exchange answer(Attempt a, Endpoint e, Generation g) {
            return new Exchange(a, e, Kind.ANSWER, g, null, null, false, -1);
        }

        static Exchange retry(Attempt a, Endpoint e, String failure, String message, boolean blamed, long retryAfter) {
            return new Exchange(a, e, Kind.RETRY, null, failure, message, blamed, retryAfter);
        }

        static Exchange fatal(Attempt a, Endpoint e, String message) {
            return new Exchange(a, e, Kind.FATAL, null, null, message, false, -1);
        }

        /** A probe's answer; {@code blamed} (unused by probes otherwise) carries whether the server is up. */
        static Exchange probe(Endpoint e, boolean up) {
            return new Exchange(null, e, Kind.PROBE, null, null, null, up, -1);
        }
    }

    @Override
    public synchronized List<Generation> generate(List<GenerationRequest> batch) {
        int n = batch.size();
        if (n == 0) return List.of();
        Generation[] out = new Generation[n];
        // Retries due now; requests not sent yet are made from batch[unsent..] as slots free up, so the
        // first ones are on the wire while the rest are still being serialised.
        ArrayDeque<Attempt> ready = new ArrayDeque<>();
        int unsent = 0;
        PriorityQueue<Attempt> waiting = new PriorityQueue<>(Comparator.comparingLong(a -> a.notBefore));
        LinkedBlockingQueue<Exchange> done = new LinkedBlockingQueue<>();
        for (Endpoint e : pool.endpoints) e.forgetProbe();
        int open = n;
        // The first retryable failure since the last answer: patience runs from there.
        long failingSince = -1;
        while (open > 0) {
            long now = System.nanoTime();
            while (!waiting.isEmpty() && waiting.peek().notBefore - now <= 0) ready.add(waiting.poll());
            for (Endpoint e : pool.endpoints) {
                if (e.probeDue(now)) probe(e, done);
            }
            Endpoint endpoint;
            while ((!ready.isEmpty() || unsent < n) && (endpoint = pool.choose()) != null) {
                if (ready.isEmpty()) {
                    GenerationRequest r = batch.get(unsent);
                    int promptTokens = requests.promptTokens(r.prompt());
                    ready.add(new Attempt(unsent++, CompletionRequests.bytes(requests.body(r, promptTokens)), promptTokens));
                }
                send(ready.poll(), endpoint, done);
            }
            long wake = Long.MAX_VALUE;
            if (!waiting.isEmpty()) wake = Math.min(wake, waiting.peek().notBefore);
            wake = Math.min(wake, pool.nextProbe());
            if (failingSince >= 0) wake = Math.min(wake, failingSince + patienceNanos);
            Exchange x;
            try {
                x = wake == Long.MAX_VALUE ? done.take() : done.poll(Math.max(0, wake - now), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KunException(ExitCodes.BACKEND, "interrupted with " + open + " requests unanswered", e);
            }
            now = System.nanoTime();
            for (; x != null; x = done.poll()) {
                Attempt a = x.attempt();
                switch (x.kind()) {
                    case PROBE -> x.endpoint().probed(x.blamed(), now);
                    case ANSWER -> {
                        x.endpoint().answered();
                        out[a.index] = x.generation();
                        open--;
                        failingSince = -1;
                        checkNotAllRefused(x);
                    }
                    case RETRY -> {
                        x.endpoint().failed(x.failure(), now);
                        if (failingSince < 0) failingSince = now;
                        a.tries++;
                        if (x.blamed() && ++a.blamed > REQUEST_RETRIES) {
                            out[a.index] = Generation.failed("server_error", x.endpoint().name + ": " + x.message()
                                    + " (" + a.tries + " tries)", Math.max(0, a.promptTokens));
                            open--;
                        } else {
                            a.notBefore = now + delay(a.tries, x.retryAfterNanos());
                            waiting.add(a);
                        }
                        if (log.isDebugEnabled()) {
                            log.debug("request {} try {} on {}: {}; {}", a.index, a.tries, x.endpoint().name, x.message(),
                                    out[a.index] != null ? "rejected" : String.format(java.util.Locale.ROOT, "again in %.2f s",
                                            (a.notBefore - now) / 1e9));
                        }
                    }
                    case FATAL -> throw new KunException(ExitCodes.BACKEND, x.endpoint().name + ": " + x.message());
                }
            }
            if (open > 0 && failingSince >= 0 && now - failingSince >= patienceNanos) {
                throw new KunException(ExitCodes.BACKEND, String.format(java.util.Locale.ROOT,
                        "no request succeeded for %.0f s (--endpoint-patience); stopped at the last checkpoint, rerun"
                                + " the same command to resume. %s", patienceNanos / 1e9, pool.failureSummary()));
            }
        }
        return List.of(out);
    }

    /**
     * A server that refuses the first {@link #REFUSED_BEFORE_ANY} requests in a row and generates for none
     * is refusing a setting, not prompts (a field it does not take, a stop list too long): stop with exit 4
     * rather than turn the corpus into rejects.
     */
    private void checkNotAllRefused(Exchange x) {
        Generation g = x.generation();
        if (!g.isFailure()) {
            generated = true;
        } else if (!generated && g.failure().reason().equals("server_rejected") && ++refusedBeforeAny >= REFUSED_BEFORE_ANY) {
            throw new KunException(ExitCodes.BACKEND, x.endpoint().name + " refused the first " + REFUSED_BEFORE_ANY
                    + " requests and answered none, so it is refusing a setting rather than prompts (is --server "
                    + requests.profile.wireName() + " the server it is?): " + g.failure().message());
        }
    }

    private void send(Attempt a, Endpoint e, LinkedBlockingQueue<Exchange> done) {
        HttpRequest.Builder request = HttpRequest.newBuilder(e.route(requests.api))
                .timeout(requestTimeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(a.body));
        if (authorization != null) request.header("Authorization", authorization);
        e.sent();
        client.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray())
                .whenComplete((response, error) -> done.add(classify(a, e, response, error)));
    }

    /** Asks a set-aside server for /v1/models: any answer but 429, 408 or 5xx means it is up. */
    private void probe(Endpoint e, LinkedBlockingQueue<Exchange> done) {
        HttpRequest.Builder get = HttpRequest.newBuilder(URI.create(e.base + "/models"))
                .timeout(requestTimeout.compareTo(PROBE_TIMEOUT) < 0 ? requestTimeout : PROBE_TIMEOUT).GET();
        if (authorization != null) get.header("Authorization", authorization);
        e.probeSent();
        client.sendAsync(get.build(), HttpResponse.BodyHandlers.discarding()).whenComplete((response, error) -> {
            int status = response == null ? 0 : response.statusCode();
            done.add(Exchange.probe(e, status > 0 && status < 500 && status != 429 && status != 408));
        });
    }

    /** What one exchange means; runs on the HTTP client's threads, so responses are parsed in parallel. */
    private Exchange classify(Attempt a, Endpoint e, HttpResponse<byte[]> response, Throwable error) {
        try {
            if (error != null) return failure(a, e, error);
            int status = response.statusCode();
            byte[] body = response.body();
            if (status == 200) {
                try {
                    return Exchange.answer(a, e, Replies.generation(Replies.parse(body), requests.api, a.promptTokens));
                } catch (IllegalArgumentException bad) {
                    return Exchange.retry(a, e, "unreadable response", "unreadable response: " + bad.getMessage(), true, -1);
                }
            }
            String message = scrub(Replies.errorMessage(body), authorization);
            long retryAfter = retryAfter(response);
            if (status == 401 || status == 403) {
                return Exchange.fatal(a, e, "HTTP " + status + ": " + message
                        + " (the API key comes from KUN_API_KEY, else OPENAI_API_KEY)");
            }
            if (status == 404 || status == 405) {
                return Exchange.fatal(a, e, "HTTP " + status + " for " + requests.api.path + ": " + message
                        + " (is --endpoint the base URL, ending in /v1, and is the model " + requests.model
                        + " served there? --endpoint-api chat for a server without /v1/completions)");
            }
            if (status == 408 || status == 429 || status == 502 || status == 503) {
                return Exchange.retry(a, e, "HTTP " + status, "HTTP " + status + ": " + message, false, retryAfter);
            }
            if (status >= 500) {
                return Exchange.retry(a, e, "HTTP " + status, "HTTP " + status + ": " + message, true, retryAfter);
            }
            if (status >= 400) return Exchange.answer(a, e, Replies.rejection(status, message, a.promptTokens));
            return Exchange.retry(a, e, "HTTP " + status, "HTTP " + status + ": " + message, true, -1);
        } catch (RuntimeException bug) {
            return Exchange.fatal(a, e, "failed to read the answer: " + bug);
        }
    }

    private Exchange failure(Attempt a, Endpoint e, Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof HttpConnectTimeoutException) {
            return Exchange.retry(a, e, "connect timeout", "connecting timed out", false, -1);
        }
        if (cause instanceof HttpTimeoutException) {
            return Exchange.retry(a, e, "timeout", String.format(java.util.Locale.ROOT,
                    "no answer within %.1f s (--endpoint-timeout)", requestTimeout.toNanos() / 1e9), true, -1);
        }
        if (cause instanceof ConnectException) {
            return Exchange.retry(a, e, "connection refused", "connection refused", false, -1);
        }
        if (cause instanceof IOException) {
            return Exchange.retry(a, e, "connection dropped", "connection dropped: " + cause, true, -1);
        }
        return Exchange.fatal(a, e, "request failed: " + cause);
    }

    /** {@code message} (a server's words) with the API key in {@code authorization}, should it echo it, blotted out. */
    static String scrub(String message, String authorization) {
        if (authorization == null) return message;
        String key = authorization.substring("Bearer ".length());
        return key.length() < 4 ? message : message.replace(key, "[API key]");
    }

    /** Retry-After in nanoseconds (seconds or an HTTP date), or -1 when absent or unreadable. */
    static long retryAfter(HttpResponse<?> response) {
        String value = response.headers().firstValue("Retry-After").orElse(null);
        if (value == null) return -1;
        value = value.strip();
        long nanos;
        try {
            nanos = (long) (Double.parseDouble(value) * 1e9);
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
                nanos = Duration.between(ZonedDateTime.now(at.getZone()), at).toNanos();
            } catch (RuntimeException notADate) {
                return -1;
            }
        }
        return Math.max(0, Math.min(LONGEST_RETRY_AFTER_NANOS, nanos));
    }

    /**
     * How long to wait before try {@code tries} + 1: Retry-After when the server gave one (plus up to a
     * tenth, so a crowd of requests does not return at one instant), else 0.5 s doubling per try up to
     * 30 s, drawn between half and all of it.
     */
    static long delay(int tries, long retryAfterNanos) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (retryAfterNanos >= 0) return retryAfterNanos + (long) (random.nextDouble() * 0.1 * retryAfterNanos);
        long ceiling = Math.min(LONGEST_BACKOFF_NANOS, FIRST_BACKOFF_NANOS << Math.min(tries - 1, 20));
        return ceiling / 2 + (long) (random.nextDouble() * (ceiling / 2));
    }

    @Override
    public void close() {
        executor.shutdownNow();
        requests.close();
    }

    /** The model a pool serves, and its context where the server says. */
    record ServedModel(String name, int maxModelLen) {

        /**
         * Asks the servers' /v1/models, in turn, until one answers. With {@code name} given one round is
         * enough (the list only adds the context); without, the first listed model is the one, and the
         * servers are asked again with backoff until the patience is spent.
         */
        static ServedModel discover(HttpClient client, List<Endpoint> endpoints, String name, String authorization,
                Duration timeout, long patienceNanos) {
            long start = System.nanoTime();
            Map<String, String> why = new LinkedHashMap<>();
            for (int round = 1; ; round++) {
                for (Endpoint e : endpoints) {
                    HttpRequest.Builder get = HttpRequest.newBuilder(URI.create(e.base + "/models")).timeout(timeout).GET();
                    if (authorization != null) get.header("Authorization", authorization);
                    try {
                        HttpResponse<byte[]> r = client.send(get.build(), HttpResponse.BodyHandlers.ofByteArray());
                        if (r.statusCode() == 200) {
                            ServedModel served = pick(Replies.parse(r.body()), name);
                            if (served != null) return served;
                            why.put(e.name, "/v1/models lists no model");
                            continue;
                        }
                        String message = scrub(Replies.errorMessage(r.body()), authorization);
                        if (r.statusCode() == 401 || r.statusCode() == 403) {
                            throw new KunException(ExitCodes.BACKEND, e.name + ": HTTP " + r.statusCode() + ": "
                                    + message + " (the API key comes from KUN_API_KEY, else OPENAI_API_KEY)");
                        }
                        why.put(e.name, "HTTP " + r.statusCode() + ": " + message);
                    } catch (IOException | IllegalArgumentException ex) {
                        why.put(e.name, ex instanceof ConnectException ? "connection refused" : String.valueOf(ex));
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                        throw new KunException(ExitCodes.BACKEND, "interrupted while asking for /v1/models", ex);
                    }
                }
                if (name != null) {
                    log.info("no server listed its models ({}); using --endpoint-model {}", why, name);
                    return new ServedModel(name, 0);
                }
                if (System.nanoTime() - start >= patienceNanos) {
                    StringBuilder sb = new StringBuilder();
                    why.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : "; ").append(k).append(": ").append(v));
                    throw new KunException(ExitCodes.BACKEND, "no server listed its models at /v1/models (give"
                            + " --endpoint-model NAME to go without): " + sb);
                }
                try {
                    Thread.sleep(delay(round, -1) / 1_000_000);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new KunException(ExitCodes.BACKEND, "interrupted while asking for /v1/models", ex);
                }
            }
        }

        /** {@code name} (or the first model) of a /v1/models answer, with its max_model_len where given. */
        static ServedModel pick(JsonNode list, String name) {
            JsonNode data = list.path("data");
            for (JsonNode model : data) {
                String id = model.path("id").asText(null);
                if (id != null && (name == null || name.equals(id))) {
                    return new ServedModel(id, model.path("max_model_len").asInt(0));
                }
            }
            return name == null ? null : new ServedModel(name, 0);
        }
    }
}
