package dev.kun.bench;

import com.sun.net.httpserver.HttpServer;
import dev.kun.Kun;
import java.io.BufferedWriter;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HTTP client backend's own overhead: {@code kun generate --endpoint} against a server on loopback
 * that answers every completion at once with a fixed short text, so all the time is kun's (reading,
 * prompting, serialising, HTTP, parsing, writing, checkpoints) plus the JDK's own HTTP server's. The
 * target (issue 14): at least 2,000 requests/s, so kun is never what a GPU fleet waits on. Not a test;
 * run with {@code scripts/bench-endpoint.sh [REQUESTS] [IN_FLIGHT]}.
 */
public final class EndpointBenchmark {
    private static final byte[] ANSWER = ("{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"model\":\"bench\","
            + "\"choices\":[{\"index\":0,\"text\":\"一个简短的指令：请解释这段文字。\",\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":12}}").getBytes(StandardCharsets.UTF_8);

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
        int inFlight = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        Path dir = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "kun-bench-endpoint"));
        Path input = dir.resolve("prompts-" + requests + ".jsonl");
        if (!Files.exists(input)) {
            try (BufferedWriter w = Files.newBufferedWriter(input, StandardCharsets.UTF_8)) {
                for (int i = 0; i < requests; i++) {
                    // A label-sized prompt: ChatML around a few hundred characters of Chinese text.
                    w.write("{\"id\":\"doc-" + i + "\",\"prompt\":\"<|im_start|>user请为下面的文字写一条指令。\\n"
                            + "第" + i + "段：" + "北京是中华人民共和国的首都，也是全国的政治、文化中心。".repeat(6)
                            + "<|im_end|>\\n<|im_start|>assistant\\n\"}\n");
                }
            }
        }
        // The JDK server leaves Nagle's algorithm on: its response headers and body go out as two writes, and
        // the body waits for the client's delayed ACK (~40 ms a request). uvicorn and the others set TCP_NODELAY.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        AtomicLong served = new AtomicLong();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        server.setExecutor(Executors.newFixedThreadPool(4, task -> {
            Thread t = new Thread(task, "bench-server");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                in.readAllBytes();
            }
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, ANSWER.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(ANSWER);
            }
            if (exchange.getRequestMethod().equals("POST")) served.incrementAndGet();
        });
        server.start();
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try {
            for (int run = 1; run <= 3; run++) {
                Path out = dir.resolve("out.jsonl");
                long before = served.get();
                long cpu0 = os.getProcessCpuTime();
                long t0 = System.nanoTime();
                int code = Kun.run("generate", "--endpoint", url, "--endpoint-model", "bench", "--batch-size",
                        String.valueOf(inFlight), "-i", input.toString(), "-o", out.toString(), "--force",
                        "--progress", "never", "--checkpoint-every", "10000");
                double s = (System.nanoTime() - t0) / 1e9;
                double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
                long n = served.get() - before;
                if (code != 0 || n != requests) throw new IllegalStateException("exit " + code + ", " + n + " requests");
                // CPU: the whole process, the server's threads included, so an upper bound on kun's own.
                System.out.printf(Locale.ROOT, "run %d: %d requests, %d in flight: %.2f s wall, %.0f requests/s;"
                        + " %.2f s CPU (client and server), %.0f requests per CPU-second%n",
                        run, n, inFlight, s, n / s, cpu, n / cpu);
            }
        } finally {
            server.stop(0);
        }
        // The JDK HTTP client's selector thread is not a daemon while its client is reachable.
        System.exit(0);
    }
}
