package dev.kun.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.TextGenerator;
import dev.kun.generate.Tokenizer;
import dev.kun.record.Json;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code --import-batch FILE}: the generations of an OpenAI batch output file ({@code vllm run-batch -o},
 * a hosted batch API's results), matched to the stage's requests by custom_id, which is the hash of the
 * request body {@link BatchExport} wrote. A request without a result is the reject
 * {@code missing_from_batch}; a failed one a reject with the error the batch gave
 * ({@code prompt_too_long} when it says the prompt does not fit, else {@code server_rejected}). Only each
 * line's place is held in memory; a line is read when its request comes.
 */
public final class BatchImport implements TextGenerator {
    private final Path file;
    private final CompletionRequests requests;
    private final FileChannel channel;
    private final Map<String, long[]> lines;
    private final String fingerprint;

    private BatchImport(Path file, CompletionRequests requests, FileChannel channel, Map<String, long[]> lines,
            String fingerprint) {
        this.file = file;
        this.requests = requests;
        this.channel = channel;
        this.lines = lines;
        this.fingerprint = fingerprint;
    }

    /**
     * Indexes {@code file} by custom_id. A line that is not a JSON object with a custom_id is bad input
     * naming the file and line.
     *
     * @param tokenizer the model's tokenizer, or null (owned from now on)
     */
    public static BatchImport open(Path file, String api, String server, String model, int maxContext,
            Tokenizer tokenizer, String tokenizerName, List<Integer> endTokenIds) {
        CompletionRequests requests = new CompletionRequests(EndpointApi.parse(api), ServerProfile.parse(server), model,
                tokenizer, tokenizerName, maxContext > 0 ? maxContext : Integer.MAX_VALUE, endTokenIds);
        try {
            Map<String, long[]> lines = index(file);
            ObjectNode fp = Json.MAPPER.createObjectNode();
            fp.put("backend", "openai-batch");
            requests.fingerprint(fp);
            fp.put("batch", file.toAbsolutePath().normalize().toString());
            fp.put("batch_size", Files.size(file));
            fp.put("batch_modified", Files.getLastModifiedTime(file).toMillis());
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            return new BatchImport(file, requests, channel, lines, fp.toString());
        } catch (IOException e) {
            requests.close();
            throw new KunException(ExitCodes.USAGE, file + ": cannot read the batch results: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            requests.close();
            throw e;
        }
    }

    /** custom_id -> {offset, length} of its line; the first line of an id wins. */
    private static Map<String, long[]> index(Path file) throws IOException {
        Map<String, long[]> lines = new HashMap<>();
        long offset = 0;
        long lineNumber = 0;
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            while (true) {
                int b = in.read();
                if (b >= 0 && b != '\n') {
                    line.write(b);
                    continue;
                }
                if (b >= 0 || line.size() > 0) {
                    lineNumber++;
                    byte[] bytes = line.toByteArray();
                    if (!new String(bytes, StandardCharsets.UTF_8).isBlank()) {
                        String id = customId(bytes);
                        if (id == null) {
                            throw KunException.badInput(file + ":" + lineNumber + ": not a batch result (a JSON object"
                                    + " with a custom_id)");
                        }
                        lines.putIfAbsent(id, new long[] {offset, bytes.length});
                    }
                    offset += bytes.length + (b >= 0 ? 1 : 0);
                    line.reset();
                }
                if (b < 0) break;
            }
        }
        return lines;
    }

    private static String customId(byte[] line) {
        try {
            JsonNode json = Json.MAPPER.readTree(line);
            JsonNode id = json == null ? null : json.get("custom_id");
            return id != null && id.isTextual() ? id.textValue() : null;
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public synchronized List<Generation> generate(List<GenerationRequest> batch) {
        List<Generation> out = new ArrayList<>(batch.size());
        for (GenerationRequest r : batch) {
            int promptTokens = requests.promptTokens(r.prompt());
            String id = BatchFiles.customId(CompletionRequests.bytes(requests.body(r, promptTokens)));
            long[] at = lines.get(id);
            if (at == null) {
                out.add(Generation.failed("missing_from_batch", file + " has no result for custom_id " + id
                        + " (a request the batch did not run, or one exported with other settings)", Math.max(0, promptTokens)));
            } else {
                out.add(result(read(at), promptTokens));
            }
        }
        return out;
    }

    private JsonNode read(long[] at) {
        ByteBuffer buffer = ByteBuffer.allocate((int) at[1]);
        try {
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, at[0] + buffer.position()) < 0) throw new IOException("the file got shorter");
            }
            return Json.MAPPER.readTree(buffer.array());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }

    /** The generation, or the failure, one result line holds. */
    private Generation result(JsonNode line, int promptTokens) {
        JsonNode response = line.path("response");
        int status = response.path("status_code").asInt(0);
        JsonNode error = line.get("error");
        if (error != null && !error.isNull()) {
            String message = Replies.errorMessage(bytes(error.isObject() ? Json.MAPPER.createObjectNode().set("error", error) : error));
            return Replies.rejection(status, message, promptTokens);
        }
        JsonNode body = response.get("body");
        if (status != 200 || body == null || !body.isObject()) {
            return Replies.rejection(status, body == null ? "(no body)" : Replies.errorMessage(bytes(body)), promptTokens);
        }
        try {
            return Replies.generation(body, requests.api, promptTokens);
        } catch (IllegalArgumentException bad) {
            return Generation.failed("server_error", "unreadable result: " + bad.getMessage(), Math.max(0, promptTokens));
        }
    }

    private static byte[] bytes(JsonNode node) {
        return node.isTextual() ? node.textValue().getBytes(StandardCharsets.UTF_8)
                : node.toString().getBytes(StandardCharsets.UTF_8);
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

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // Read-only: nothing is lost.
        } finally {
            requests.close();
        }
    }
}
