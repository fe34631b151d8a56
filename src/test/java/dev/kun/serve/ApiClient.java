package dev.kun.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.record.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A plain HTTP client for tests: JSON in, status, headers and JSON or SSE events out. */
final class ApiClient {
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final String key;

    ApiClient(URI base) {
        this(base, null);
    }

    ApiClient(URI base, String key) {
        this.base = base;
        this.key = key;
    }

    /** One answer: status, the JSON body (null when it is not JSON) and the raw body. */
    record Answer(int status, JsonNode json, String body, HttpResponse<String> response) {
        String header(String name) {
            return response.headers().firstValue(name).orElse(null);
        }

        /** The error object's field, for an error answer. */
        String error(String field) {
            return json.path("error").path(field).asText(null);
        }
    }

    Answer post(String path, String body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return answer(http.send(b.build(), HttpResponse.BodyHandlers.ofString()));
    }

    /** {@link #post} without waiting for the answer. */
    java.util.concurrent.CompletableFuture<Answer> postAsync(String path, JsonNode body) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(body)));
        if (key != null) b.header("Authorization", "Bearer " + key);
        return http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).thenApply(ApiClient::answer);
    }

    Answer post(String path, JsonNode body) throws IOException, InterruptedException {
        return post(path, Json.MAPPER.writeValueAsString(body));
    }

    Answer get(String path) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30)).GET();
        if (key != null) b.header("Authorization", "Bearer " + key);
        return answer(http.send(b.build(), HttpResponse.BodyHandlers.ofString()));
    }

    private static Answer answer(HttpResponse<String> r) {
        JsonNode json = null;
        try {
            json = Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            // not JSON: the caller looks at the raw body
        }
        return new Answer(r.statusCode(), json, r.body(), r);
    }

    /** A streamed answer: its status, content type and every {@code data:} payload in order. */
    record Events(int status, String contentType, List<String> data) {
        /** The payloads before {@code [DONE]}, as JSON. */
        List<JsonNode> chunks() throws IOException {
            List<JsonNode> out = new ArrayList<>();
            for (String d : data) {
                if (!d.equals("[DONE]")) out.add(Json.MAPPER.readTree(d));
            }
            return out;
        }
    }

    Events stream(String path, JsonNode body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Json.MAPPER.writeValueAsString(body)));
        if (key != null) b.header("Authorization", "Bearer " + key);
        HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        List<String> data = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String blank = "";
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("data: ")) {
                    data.add(line.substring(6));
                } else if (!line.equals(blank)) {
                    throw new IOException("not an SSE line: " + line);
                }
            }
        }
        return new Events(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), data);
    }

    /**
     * Sends {@code body} to {@code path} on a raw socket and returns it unread, so a test can hang up
     * mid-request (close it) as a client that goes away does.
     */
    Socket open(String path, String body) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(base.getHost(), base.getPort()), 10_000);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort()
                + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n"
                + (key != null ? "Authorization: Bearer " + key + "\r\n" : "") + "\r\n";
        OutputStream out = s.getOutputStream();
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return s;
    }
}
