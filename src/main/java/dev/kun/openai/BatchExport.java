package dev.kun.openai;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.error.ExitCodes;
import dev.kun.error.KunException;
import dev.kun.generate.Generation;
import dev.kun.generate.GenerationRequest;
import dev.kun.generate.TextGenerator;
import dev.kun.generate.Tokenizer;
import dev.kun.record.Json;
import java.io.BufferedInputStream;
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
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code --export-batch FILE}: instead of generating, writes each request as a line of an OpenAI batch
 * input file, for {@code vllm run-batch} or a hosted batch API to run anywhere; {@code --import-batch}
 * reads the results back. Each written request comes back as the failure {@code exported}, so the stage
 * writes no output for it and counts it as {@code dropped_exported}; records refused before generation
 * (bad input, a prompt over the context) are handled as in any run.
 *
 * <p>Resumable as every stage: the file is appended to, a line cut short by a crash is cut off at open,
 * and a request already in the file (the same custom_id, which is the hash of the same body) is not
 * written again, so a rerun after a crash leaves each request in the file once. The file is flushed
 * and synced at the end of every batch, before the stage's checkpoint can count it.
 */
public final class BatchExport implements TextGenerator {
    private static final String ID_PREFIX = "{\"custom_id\":\"";

    private final Path file;
    private final CompletionRequests requests;
    private final FileChannel channel;
    private final Set<String> written;
    private final int before;
    private final String fingerprint;
    private final ByteBuffer pending = ByteBuffer.allocate(1 << 20);
    private int added;

    private BatchExport(Path file, CompletionRequests requests, FileChannel channel, Set<String> written) {
        this.file = file;
        this.requests = requests;
        this.channel = channel;
        this.written = written;
        this.before = written.size();
        ObjectNode fp = Json.MAPPER.createObjectNode();
        fp.put("backend", "openai-batch-export");
        requests.fingerprint(fp);
        fp.put("batch", file.toAbsolutePath().normalize().toString());
        this.fingerprint = fp.toString();
    }

    /**
     * Opens {@code file} for appending, reading the custom_ids already in it.
     *
     * @param tokenizer the model's tokenizer, or null (owned from now on)
     */
    public static BatchExport open(Path file, String api, String server, String model, int maxContext,
            Tokenizer tokenizer, String tokenizerName, List<Integer> endTokenIds) {
        CompletionRequests requests = new CompletionRequests(EndpointApi.parse(api), ServerProfile.parse(server), model,
                tokenizer, tokenizerName, maxContext > 0 ? maxContext : Integer.MAX_VALUE, endTokenIds);
        try {
            Set<String> written = Files.exists(file) ? readIds(file) : new HashSet<>();
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
            return new BatchExport(file, requests, channel, written);
        } catch (IOException e) {
            requests.close();
            throw new KunException(ExitCodes.USAGE, file + ": cannot write the batch file: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            requests.close();
            throw e;
        }
    }

    /** The custom_ids of the complete lines of {@code file}; a last line without its newline is cut off. */
    private static Set<String> readIds(Path file) throws IOException {
        Set<String> ids = new HashSet<>();
        long complete = 0;
        long offset = 0;
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            int b;
            while ((b = in.read()) >= 0) {
                offset++;
                if (b != '\n') {
                    // Only the start of a line is needed: the custom_id comes first in the lines kun writes.
                    if (line.size() < 256) line.write(b);
                    continue;
                }
                complete = offset;
                String head = line.toString(StandardCharsets.UTF_8);
                line.reset();
                if (!head.startsWith(ID_PREFIX) || head.indexOf('"', ID_PREFIX.length()) < 0) {
                    throw KunException.usage(file + ": line " + (ids.size() + 1) + " is not a batch request kun"
                            + " wrote; give --export-batch a new file");
                }
                ids.add(head.substring(ID_PREFIX.length(), head.indexOf('"', ID_PREFIX.length())));
            }
        }
        if (complete < offset) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ch.truncate(complete);
                ch.force(true);
            }
        }
        return ids;
    }

    @Override
    public synchronized List<Generation> generate(List<GenerationRequest> batch) {
        List<Generation> out = new ArrayList<>(batch.size());
        try {
            for (GenerationRequest r : batch) {
                int promptTokens = requests.promptTokens(r.prompt());
                byte[] body = CompletionRequests.bytes(requests.body(r, promptTokens));
                String id = BatchFiles.customId(body);
                if (written.add(id)) {
                    write(BatchFiles.inputLine(id, "/v1" + requests.api.path, body));
                    added++;
                }
                out.add(Generation.failed("exported", "written to " + file + " as custom_id " + id,
                        Math.max(0, promptTokens)));
            }
            drain();
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        return out;
    }

    private void write(byte[] line) throws IOException {
        if (line.length > pending.remaining()) drain();
        if (line.length > pending.capacity()) {
            ByteBuffer whole = ByteBuffer.wrap(line);
            while (whole.hasRemaining()) channel.write(whole);
        } else {
            pending.put(line);
        }
    }

    private void drain() throws IOException {
        pending.flip();
        while (pending.hasRemaining()) channel.write(pending);
        pending.clear();
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
            drain();
            channel.force(false);
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        } finally {
            requests.close();
        }
        System.err.println("kun: " + file + ": " + added + " requests written" + (before > 0 ? " (" + before
                + " were there from an earlier run)" : "") + "; run them (vllm run-batch -i " + file
                + " -o RESULTS --model " + requests.model + "), then rerun this command with --import-batch RESULTS"
                + " in place of --export-batch");
    }
}
