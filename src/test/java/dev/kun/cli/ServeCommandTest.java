package dev.kun.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kun.error.ExitCodes;
import dev.kun.generate.BackendSpec;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.serve.KunServer;
import dev.kun.testing.Captured;
import dev.kun.testing.FakeGenerator;
import dev.kun.testing.ForwardingGenerator;
import dev.kun.testing.TinyCheckpoint;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code kun serve}'s options, and SIGTERM on a real process: stop accepting, finish what is in flight, exit. */
class ServeCommandTest {
    @TempDir Path dir;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static HttpResponse<String> send(URI uri, String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60));
        if (key != null) b.header("Authorization", "Bearer " + key);
        b = body == null ? b.GET() : b.POST(HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void everyOptionReachesTheServerOrTheBackend() throws Exception {
        Path model = Files.createDirectories(dir.resolve("my-model"));
        BackendSpec[] opened = new BackendSpec[1];
        List<String> seen = new ArrayList<>();
        ServeCommand command = new ServeCommand(spec -> {
            opened[0] = spec;
            return new FakeGenerator();
        }, server -> {
            try {
                URI base = server.uri();
                seen.add(base.getHost());
                seen.add(send(base.resolve("/v1/models"), "k1", null).body());
                seen.add(Integer.toString(send(base.resolve("/v1/models"), null, null).statusCode()));
                seen.add(Integer.toString(send(base.resolve("/v1/completions"), "k1", "x".repeat(300)).statusCode()));
                seen.add(server.metricsText());
                seen.add(server.shutdownTimeout().toString());
            } catch (Exception e) {
                seen.add(e.toString());
            } finally {
                server.shutdown();
            }
        });
        int code = new CommandLine(command).execute("--model", model.toString(), "--device", "cpu", "--dtype", "f32",
                "--batch-size", "3", "--max-context", "99", "--host", "127.0.0.1", "--port", "0", "--api-key", "k1",
                "--served-model-name", "kun-label", "--max-queue", "5", "--max-body-bytes", "200", "--shutdown-timeout", "7");
        assertEquals(0, code, seen.toString());
        assertEquals(model, opened[0].model());
        assertEquals("cpu", opened[0].device());
        assertEquals("f32", opened[0].dtype());
        assertEquals(3, opened[0].batchSize());
        assertEquals(99, opened[0].maxContext());
        assertEquals("127.0.0.1", seen.get(0));
        assertTrue(seen.get(1).contains("\"id\":\"kun-label\""), seen.get(1));
        assertEquals("401", seen.get(2), "--api-key");
        assertEquals("413", seen.get(3), "--max-body-bytes");
        assertTrue(seen.get(4).contains("kun_slots 3\n"), "--batch-size is the slots");
        assertTrue(seen.get(4).contains("kun_queue_capacity 5\n"), "--max-queue");
        assertEquals("PT7S", seen.get(5), "--shutdown-timeout");
    }

    @Test
    void theServedNameDefaultsToTheModelFolderAndBadValuesAreUsageErrors() throws Exception {
        Path model = Files.createDirectories(dir.resolve("Kun-LabelModel"));
        String[] name = new String[1];
        ServeCommand command = new ServeCommand(spec -> new FakeGenerator(), server -> {
            try {
                name[0] = send(server.uri().resolve("/v1/models"), null, null).body();
            } catch (Exception e) {
                name[0] = e.toString();
            } finally {
                server.shutdown();
            }
        });
        assertEquals(0, new CommandLine(command).execute("--model", model.toString(), "--port", "0", "--api-key", ""));
        assertTrue(name[0].contains("\"id\":\"Kun-LabelModel\""), name[0]);

        Captured c = Captured.kun("serve", "--model", model.toString(), "--port", "70000");
        assertEquals(ExitCodes.USAGE, c.code(), c.stderr());
        assertTrue(c.stderr().contains("--port"), c.stderr());
        c = Captured.kun("serve", "--model", model.toString(), "--max-queue", "-1");
        assertEquals(ExitCodes.USAGE, c.code(), c.stderr());
    }

    @Test
    void serveRunsTheInProcessEngineOnly() {
        Captured c = Captured.kun("serve", "--endpoint", "http://127.0.0.1:9/v1");
        assertEquals(ExitCodes.USAGE, c.code(), c.stderr());
        assertTrue(c.stderr().contains("in-process engine"), c.stderr());
    }

    @Test
    void aPortInUseIsAUsageError() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path model = Files.createDirectories(dir.resolve("m"));
            FakeGenerator fake = new FakeGenerator();
            CommandLine cli = new CommandLine(new ServeCommand(spec -> fake, KunServer::shutdown));
            cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> e instanceof dev.kun.error.KunException k ? k.exitCode() : 1);
            assertEquals(ExitCodes.USAGE, cli.execute("--model", model.toString(), "--port", Integer.toString(taken.getLocalPort())));
            assertTrue(fake.closed, "the engine is closed when the server cannot start");
        }
    }

    /**
     * The real process: {@code kun serve} (with a generator that takes 2 s per request, so one is in
     * flight) gets SIGTERM; it refuses new connections, answers the request in flight, and exits 143.
     * The API key comes from KUN_API_KEY.
     */
    @Test
    void sigtermFinishesWhatIsInFlightThenExits() throws Exception {
        Path model = TinyCheckpoint.builder().write(dir.resolve("tiny"));
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), SlowServe.class.getName(),
                "--model", model.toString(), "--port", "0", "--device", "cpu");
        pb.environment().put("KUN_API_KEY", "from-env");
        Process p = pb.start();
        LinkedBlockingQueue<String> stderr = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) stderr.add(line);
            } catch (IOException e) {
                stderr.add(e.toString());
            }
        });
        reader.start();
        try {
            URI base = null;
            List<String> log = new ArrayList<>();
            Pattern listening = Pattern.compile("listening on (http://\\S+)");
            while (base == null) {
                String line = stderr.poll(60, TimeUnit.SECONDS);
                assertNotNull(line, "kun serve did not start: " + log);
                log.add(line);
                Matcher m = listening.matcher(line);
                if (m.find()) base = URI.create(m.group(1));
            }
            assertEquals(401, send(base.resolve("/v1/models"), null, null).statusCode(), "KUN_API_KEY is required");
            URI completions = base.resolve("/v1/completions");
            CompletableFuture<HttpResponse<String>> inFlight = HTTP.sendAsync(HttpRequest.newBuilder(completions)
                    .header("Authorization", "Bearer from-env")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny\",\"prompt\":\"hello\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            for (String line = ""; !line.contains(SlowServe.STARTED); ) {
                line = stderr.poll(30, TimeUnit.SECONDS);
                assertNotNull(line, "the request never reached the generator");
            }
            // SIGTERM; through the handle, because Process.destroy() also closes our end of its stderr.
            assertTrue(p.toHandle().destroy());
            int port = base.getPort();
            long end = System.currentTimeMillis() + 1500;
            boolean refused = false;
            while (!refused && System.currentTimeMillis() < end) {
                try (Socket s = new Socket("127.0.0.1", port)) {
                    Thread.sleep(20);
                } catch (ConnectException e) {
                    refused = true;
                }
            }
            assertTrue(refused, "after SIGTERM no new connection is accepted");
            assertTrue(!inFlight.isDone(), "the request was still in flight when the listener closed");
            HttpResponse<String> answer = inFlight.get(30, TimeUnit.SECONDS);
            assertEquals(200, answer.statusCode(), answer.body());
            assertTrue(answer.body().contains("hello|"), answer.body());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the process exits");
            assertEquals(143, p.exitValue(), "killed by SIGTERM, after the hook: 128 + 15");
            reader.join(5000);
            List<String> rest = new ArrayList<>(stderr);
            assertTrue(rest.stream().anyMatch(l -> l.contains("kun serve: stopped")), rest.toString());
        } finally {
            p.destroyForcibly();
        }
    }

    /** {@code kun serve} whose generator takes 2 s per request and says on stderr when it starts one. */
    public static final class SlowServe {
        static final String STARTED = "slow generation started";

        public static void main(String[] args) {
            ServeCommand command = new ServeCommand(spec -> new ForwardingGenerator(new FakeGenerator()) {
                @Override
                public List<Generation> generate(List<GenerationRequest> requests) {
                    System.err.println(STARTED);
                    try {
                        Thread.sleep(2000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return super.generate(requests);
                }
            }, server -> { });
            System.exit(new CommandLine(command).execute(args));
        }
    }

    @Test
    void aMissingModelStopsBeforeListening() {
        Path missing = dir.resolve("no-such-model");
        Captured c = Captured.kun("serve", "--model", missing.toString(), "--port", "0");
        assertTrue(c.code() != 0, c.stderr());
        assertTrue(c.stderr().contains("no-such-model"), c.stderr());
        assertTrue(!c.stderr().contains("listening"), c.stderr());
    }
}
