package dev.kun.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kun.generate.FinishReason;
import dev.kun.generate.Generation;
import dev.kun.record.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What a server's answer means: a generation (text, finish reason, token counts from {@code usage}),
 * or the message of an error, recognised by its meaning where it says the prompt does not fit.
 */
final class Replies {
    /** Longest server message kept in a reject or a log line. */
    static final int MESSAGE_CHARS = 500;

    /**
     * Over-context messages, by meaning rather than one wording: vLLM's "maximum context length is N
     * tokens" and "longer than the maximum model length", SGLang's "longer than the model's context length", OpenAI's context_length_exceeded, TGI's
     * "`inputs` tokens + `max_new_tokens` must be <= N" and "`inputs` must have less than N tokens",
     * llama.cpp's "exceeds the available context size" (exceed_context_size_error), "prompt is too long".
     */
    private static final Pattern[] PROMPT_TOO_LONG = {
        Pattern.compile("(context[ _-]?(length|size|window)|model length)[^.]{0,80}?(exceed|too (long|large|small)|maximum|longer|larger|reduce|must be <=)"),
        Pattern.compile("(exceed|exceeds|exceeded|longer than|larger than|maximum|more than)[^.]{0,80}?(context[ _-]?(length|size|window)|model length)"),
        Pattern.compile("context_length_exceeded|exceed_context_size"),
        Pattern.compile("(prompt|input|inputs|messages)`?\\W{0,3}(is|are)? ?too long"),
        Pattern.compile("tokens \\+ `?max_new_tokens`? must be <="),
        Pattern.compile("must have less than \\d+ (input )?tokens"),
    };

    private Replies() {}

    /** True when {@code message} (a server's error text, or its error code) says the prompt does not fit. */
    static boolean promptTooLong(String message) {
        if (message == null) return false;
        String m = message.toLowerCase(Locale.ROOT);
        for (Pattern p : PROMPT_TOO_LONG) {
            if (p.matcher(m).find()) return true;
        }
        return false;
    }

    /** The request failure a permanent error with {@code message} is: prompt_too_long, or server_rejected. */
    static Generation rejection(int status, String message, int promptTokens) {
        int tokens = Math.max(0, promptTokens);
        if (promptTooLong(message)) return Generation.failed("prompt_too_long", message, tokens);
        return Generation.failed("server_rejected", status > 0 ? "HTTP " + status + ": " + message : message, tokens);
    }

    /**
     * The generation in a 200 response body of {@code api}; {@code promptTokens} (or -1) stands in for a
     * missing {@code usage}.
     *
     * @throws IllegalArgumentException for a body that is not a completion (truncated, not JSON, no choice)
     */
    static Generation generation(JsonNode response, EndpointApi api, int promptTokens) {
        JsonNode choice = response.path("choices").path(0);
        if (!choice.isObject()) throw new IllegalArgumentException("no choices in the response: " + cut(response.toString()));
        String text = api.text(choice);
        if (text == null) {
            // A chat message without content (content: null) is an empty generation; a missing text is not.
            if (api == EndpointApi.CHAT && choice.path("message").isObject()) {
                text = "";
            } else {
                throw new IllegalArgumentException("a choice without text: " + cut(choice.toString()));
            }
        }
        FinishReason finish = finishReason(choice.path("finish_reason").asText(null));
        if (finish == null) {
            throw new IllegalArgumentException("finish_reason " + choice.path("finish_reason") + " is neither stop nor length");
        }
        JsonNode usage = response.path("usage");
        int prompt = usage.path("prompt_tokens").isInt() ? usage.get("prompt_tokens").intValue() : Math.max(0, promptTokens);
        int generated = usage.path("completion_tokens").isInt() ? usage.get("completion_tokens").intValue() : 0;
        return new Generation(text, finish, prompt, generated, null, null);
    }

    /** The body of a 200 response, parsed; IllegalArgumentException when it is not JSON. */
    static JsonNode parse(byte[] body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("a response that is not JSON: " + cut(new String(body, StandardCharsets.UTF_8)));
        }
    }

    /**
     * "stop" and "length" as OpenAI spells them; TGI's eos_token and stop_sequence and the names other
     * servers use for an end token are stops. Anything else (content_filter, abort) is null.
     */
    static FinishReason finishReason(String name) {
        if (name == null) return null;
        return switch (name) {
            case "stop", "eos", "eos_token", "stop_sequence", "end_turn" -> FinishReason.STOP;
            case "length", "max_tokens" -> FinishReason.LENGTH;
            default -> null;
        };
    }

    /**
     * The message of an error body in any of the shapes servers use: vLLM's and SGLang's
     * {@code {"message"}}, OpenAI's and llama.cpp's {@code {"error": {"message", "code"}}}, TGI's
     * {@code {"error": "..."}}, FastAPI's {@code {"detail"}}; else the body's text, cut short.
     */
    static String errorMessage(byte[] body) {
        String raw = new String(body, StandardCharsets.UTF_8).strip();
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(raw);
        } catch (IOException e) {
            json = null;
        }
        if (json != null && json.isObject()) {
            JsonNode error = json.get("error");
            String message = null;
            if (error != null && error.isObject()) {
                message = text(error.get("message"));
                String code = text(error.get("code"));
                if (code == null) code = text(error.get("type"));
                // The code says what the wording may not ("context_length_exceeded").
                if (message != null && code != null && !message.contains(code)) message = message + " (" + code + ")";
                if (message == null) message = code;
            } else if (error != null && error.isTextual()) {
                message = error.textValue();
            }
            if (message == null) message = text(json.get("message"));
            if (message == null) message = text(json.get("detail"));
            if (message != null) return cut(message);
        }
        return raw.isEmpty() ? "(no message)" : cut(raw);
    }

    private static String text(JsonNode node) {
        if (node == null || node.isNull()) return null;
        return node.isTextual() ? node.textValue() : node.toString();
    }

    /** {@code s} on one line, at most {@link #MESSAGE_CHARS} characters. */
    static String cut(String s) {
        String line = s.replace('\n', ' ').replace('\r', ' ');
        return line.length() <= MESSAGE_CHARS ? line : line.substring(0, MESSAGE_CHARS) + "...";
    }
}
