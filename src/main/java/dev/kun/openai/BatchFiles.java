package dev.kun.openai;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The OpenAI batch file format, which {@code vllm run-batch} and hosted batch APIs read and write:
 * input lines {@code {"custom_id", "method": "POST", "url": "/v1/completions", "body": {...}}}, output
 * lines {@code {"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}}.
 */
final class BatchFiles {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private BatchFiles() {}

    /**
     * The custom_id of a request: {@code kun-} and 128 bits of the SHA-256 of its body. The body holds
     * the prompt, the record's seed (from its id), the sampling and the model, so an export and the import
     * of its results name the same request alike, and results made under other settings match nothing.
     */
    static String customId(byte[] body) {
        byte[] hash;
        try {
            hash = MessageDigest.getInstance("SHA-256").digest(body);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        char[] id = new char[4 + 32];
        "kun-".getChars(0, 4, id, 0);
        for (int i = 0; i < 16; i++) {
            id[4 + 2 * i] = HEX[(hash[i] >> 4) & 15];
            id[5 + 2 * i] = HEX[hash[i] & 15];
        }
        return new String(id);
    }

    /** One input line, newline included. */
    static byte[] inputLine(String customId, String url, byte[] body) {
        byte[] head = ("{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"" + url + "\",\"body\":")
                .getBytes(StandardCharsets.UTF_8);
        byte[] line = new byte[head.length + body.length + 2];
        System.arraycopy(head, 0, line, 0, head.length);
        System.arraycopy(body, 0, line, head.length, body.length);
        line[line.length - 2] = '}';
        line[line.length - 1] = '\n';
        return line;
    }
}
