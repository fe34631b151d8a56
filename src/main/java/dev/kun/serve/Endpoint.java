package dev.kun.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kun.generate.FinishReason;
import dev.kun.generate.Generation;
import dev.kun.record.Json;

/**
 * The two generating endpoints and their wire shapes, as OpenAI's API writes them: a result
 * ({@code text_completion} with {@code choices[].text}, or {@code chat.completion} with
 * {@code choices[].message}) and, for {@code stream: true}, its chunks ({@code text_completion} again, or
 * {@code chat.completion.chunk} with {@code choices[].delta}).
 */
enum Endpoint {
    COMPLETIONS("/v1/completions", "cmpl-", "text_completion", "text_completion"),
    CHAT("/v1/chat/completions", "chatcmpl-", "chat.completion", "chat.completion.chunk");

    final String path;
    final String idPrefix;
    final String object;
    final String chunkObject;

    Endpoint(String path, String idPrefix, String object, String chunkObject) {
        this.path = path;
        this.idPrefix = idPrefix;
        this.object = object;
        this.chunkObject = chunkObject;
    }

    /** The whole answer to a request that was not streamed. */
    ObjectNode result(String id, long created, String model, Generation g) {
        ObjectNode root = head(id, object, created, model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        if (this == COMPLETIONS) {
            choice.put("text", g.text());
        } else {
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            message.put("content", g.text());
            message.putNull("refusal");
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", g.finishReason().wireName());
        usage(root, g);
        return root;
    }

    /**
     * One streamed piece: {@code text} (for chat, the first chunk also carries the assistant role), and
     * {@code finish} on the last one, whose text is empty. With {@code usageField} every chunk has
     * {@code "usage": null}, as OpenAI writes them when the client asked for a final usage chunk.
     */
    ObjectNode chunk(String id, long created, String model, String text, FinishReason finish, boolean first, boolean usageField) {
        ObjectNode root = head(id, chunkObject, created, model);
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0);
        if (this == COMPLETIONS) {
            choice.put("text", text);
        } else {
            ObjectNode delta = choice.putObject("delta");
            if (first) delta.put("role", "assistant");
            if (finish == null) delta.put("content", text);
        }
        choice.putNull("logprobs");
        if (finish == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finish.wireName());
        }
        if (usageField) root.putNull("usage");
        return root;
    }

    /** The chunk after the last, when the client asked for usage: no choices, the token counts. */
    ObjectNode usageChunk(String id, long created, String model, Generation g) {
        ObjectNode root = head(id, chunkObject, created, model);
        root.putArray("choices");
        usage(root, g);
        return root;
    }

    private static ObjectNode head(String id, String object, long created, String model) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("id", id);
        root.put("object", object);
        root.put("created", created);
        root.put("model", model);
        return root;
    }

    private static void usage(ObjectNode root, Generation g) {
        ObjectNode usage = root.putObject("usage");
        usage.put("prompt_tokens", g.promptTokens());
        usage.put("completion_tokens", g.generatedTokens());
        usage.put("total_tokens", g.promptTokens() + g.generatedTokens());
    }
}
